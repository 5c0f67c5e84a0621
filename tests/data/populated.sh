# populated.sh — sourced by tests/store/*.sh: a store with a bit of every kind of event custos writes
# (principals added and revoked, measures filed, approved, refused, authorised, extended, revoked, ended,
# suspended by a registry import, an audit of OpenLI, a rule set loaded again, a checkpoint, one measure erased).
# Needs ROOT, DATA, CUSTOS_STORE and a `custos` on PATH; the clock pinned by the caller.
. "$DATA/life-setup.sh"
file() { custos measure file "$ROOT/demo/measures/$1.json" --key "${2:-REQ-VSSE}.key" | jq -r .id; }
refused=$(file s5-lawful)
custos approve "$refused" --role foreign_affairs --key FA.key --refuse --reason "the mission was not consulted" >/dev/null
extended=$(file s4)
custos approve "$extended" --role service_head --key HEAD-VSSE.key >/dev/null
custos measure extend "$extended" --key REQ-VSSE.key --until 2027-01-31 >/dev/null
custos approve "$extended" --role service_head --key HEAD-VSSE.key >/dev/null
revoked=$(file s4)
custos approve "$revoked" --role service_head --key HEAD-VSSE.key >/dev/null
custos measure revoke "$revoked" --key COMR.key --reason "disproportionate" >/dev/null
ended=$(file s4)
custos approve "$ended" --role service_head --key HEAD-VSSE.key >/dev/null
custos measure end "$ended" --key HEAD-VSSE.key --reason "target left the country" >/dev/null
for s in s1:REQ-VSSE s2:REQ-SGRS s3:REQ-VSSE s6:REQ-FP s7:REQ-JUS; do file "${s%%:*}" "${s#*:}" >/dev/null; done
cat >susp.json <<'M'
{"kind":"interception","scope":"metadata","framework":"intelligence","requested_by":"vsse",
 "targets":["tel:+32470555123"],"period":{"from":"2026-12-01","to":"2027-01-31"},"grounds":"test"}
M
suspended=$(custos measure file susp.json --key REQ-VSSE.key | jq -r .id)
custos approve "$suspended" --role service_head --key HEAD-VSSE.key >/dev/null
echo '{"id":"P-NEW-1","category":"diplomatic_agent","name":"Newly Accredited Diplomat","sending_state":"MR","nationality":"MR","permanent_resident":false,"valid_from":"2026-11-20","valid_to":null,"mission":"M-MR","country_of_origin":null,"waiver":null,"selectors":["tel:+32470555123"]}' >d.jsonl
custos registry import d.jsonl >/dev/null
custos principal revoke DPO --reason "left the service" >/dev/null
# an audit of what OpenLI runs (docs/OPENLI.md): its report is an event and a record
printf 'ipintercepts:\n - liid: ROGUE1\n   user: someone\n   agencyid: vsse\n' >openli.yaml
custos audit openli openli.yaml >/dev/null 2>&1 || [ $? = 1 ]
erased=$(file s4)
custos rules load "$ROOT/rules/be" >/dev/null
custos log checkpoint >/dev/null
custos log erase "$(custos events | jq -r "select(.type == \"measure.filed\" and .ref == \"$erased\") | .index")" \
	--reason "retention period ended (test)" >/dev/null
custos log checkpoint >/dev/null
