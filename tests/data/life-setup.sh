# life-setup.sh — sourced by the life-* golden tests: a store with the demo registry and one principal per role.
custos init --origin test.example/custos 2>/dev/null
custos registry import "$ROOT/demo/registry.jsonl" >/dev/null
# principal ID AUTHORITY ROLE...: a key file ID.key and the principal holding it
principal() {
	id=$1 authority=$2
	shift 2
	custos key generate "$id.key" >"$id.pub"
	custos principal add "$id" --name "Test principal $id" --authority "$authority" --role "$@" \
		--pubkey "$(cat "$id.pub")" >/dev/null
}
principal REQ-VSSE vsse requester
principal HEAD-VSSE vsse service_head
principal REQ-SGRS sgrs requester
principal HEAD-SGRS sgrs service_head
principal REQ-FP federal_police requester
principal REQ-JUS fps_justice requester
principal FA fps_foreign_affairs foreign_affairs
principal JUDGE justice investigating_judge
principal BIM bim bim_commission
principal DPO federal_police data_protection_officer
principal CA fps_justice central_authority
principal COMR comite_r comite_r
principal PP chamber parliament_president
# what changes when nothing should: the events and every measure's state
snapshot() { { custos events | wc -l; custos measure list | jq -c '{id, state}'; } | md5sum; }
