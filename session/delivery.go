package session

import "slices"

// DeliveryFinding starts a finding of direct delivery (doctor --mx) from
// the rule with that ID: what client judges from the route, the TLSA
// records and the MTA-STS policy, before any session. It panics on an
// unknown ID, as a typo in a constant should.
func DeliveryFinding(id string, evidence ...string) Finding { return newFinding(id, evidence...) }

// OrderFindings sorts findings as Diagnose does (root cause first), so
// that findings judged outside Diagnose join a session's in their place.
func OrderFindings(fs []Finding) { slices.SortStableFunc(fs, compareFindings) }
