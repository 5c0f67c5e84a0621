-- postgresql-roles.sql — the rights of the role custos runs as (docs/DEPLOY.md), granted by the store's owner
-- after `custos init` has created the schema as that owner:
--   psql -v role=custos_app -f deploy/postgresql-roles.sql postgresql://owner@host/custos
-- The role may read and append the log, erase a payload (the one change the log admits), grow a tile, and keep the
-- projections; it may not UPDATE or DELETE an event, a tile or a checkpoint, TRUNCATE anything, change the schema,
-- or turn a trigger off (only the owner may). The triggers refuse the same even to the owner.
GRANT USAGE ON SCHEMA public TO :"role";
GRANT SELECT ON custos_schema TO :"role";
-- the log: append and read; a payload erased; a partial tile grown at its end; cosignatures replaced by a newer one
GRANT SELECT, INSERT ON events, log_tiles, checkpoints, cosignatures TO :"role";
GRANT UPDATE (payload) ON events TO :"role";
GRANT UPDATE (hashes) ON log_tiles TO :"role";
GRANT UPDATE (line, received_at) ON cosignatures TO :"role";
-- the configuration and the projections: folded from the log, emptied and folded again by `store rebuild`
GRANT SELECT, INSERT, UPDATE, DELETE ON meta, parties, rulesets, measures, records, requests, measure_access,
	witnessed_logs TO :"role";
