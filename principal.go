package fishpond

import "slices"

// Role is what a user is allowed to do; scoping (which counties, which household)
// comes with it in a Principal.
type Role string

// The roles of MISSION.md's "Who uses it".
const (
	RoleAdmin         Role = "admin"
	RoleFundAdmin     Role = "fund_admin"
	RoleCountyOfficer Role = "county_officer"
	RoleCoopManager   Role = "coop_manager"
	RoleHousehold     Role = "household"
	RoleConsumer      Role = "consumer"
	RolePartner       Role = "partner"
	RoleAuditor       Role = "auditor"
)

// Roles lists every role, in the order pages show them.
var Roles = []Role{RoleAdmin, RoleFundAdmin, RoleCountyOfficer, RoleCoopManager, RoleHousehold, RoleConsumer, RolePartner, RoleAuditor}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// CountyScoped reports whether the role sees only the counties it is assigned.
func (r Role) CountyScoped() bool {
	return r == RoleCountyOfficer || r == RoleCoopManager || r == RolePartner || r == RoleAuditor
}

// Principal is who is asking: every read of registry or ledger data takes one and
// filters by it, so scoping is enforced where data is read, not in the pages.
type Principal struct {
	UserID      string
	Name        string
	Role        Role
	Counties    []string // for county-scoped roles
	HouseholdID string   // for RoleHousehold
	// PartnerID and Scopes are set when a partner organisation calls with one of
	// its API keys: the key's scopes ("read:aggregates", "webhooks", …) narrow what
	// the role allows, and Counties are the key's counties.
	PartnerID string
	Scopes    []string
}

// KeyScoped reports whether the principal is a partner API key, limited to its
// scopes.
func (p Principal) KeyScoped() bool { return p.PartnerID != "" }

// HasScope reports whether a key-scoped principal holds the scope; principals that
// are not keys have no scopes.
func (p Principal) HasScope(scope string) bool {
	return p.KeyScoped() && slices.Contains(p.Scopes, scope)
}

// System is the principal of the command line and of background jobs: it sees all.
var System = Principal{UserID: "system", Name: "system", Role: RoleAdmin}

// SeesAllCounties reports whether registry reads are unrestricted by county.
func (p Principal) SeesAllCounties() bool {
	return p.Role == RoleAdmin || p.Role == RoleFundAdmin
}

// SeesRegistry reports whether the role may read household records at all.
func (p Principal) SeesRegistry() bool {
	switch p.Role {
	case RoleAdmin, RoleFundAdmin, RoleCountyOfficer, RoleCoopManager, RoleAuditor, RoleHousehold, RolePartner:
		return true
	}
	return false
}

// CanSeeCounty reports whether the principal may see records of the county.
func (p Principal) CanSeeCounty(code string) bool {
	if p.SeesAllCounties() {
		return true
	}
	return p.Role.CountyScoped() && slices.Contains(p.Counties, code)
}

// CanSeeHousehold reports whether the principal may see the household.
func (p Principal) CanSeeHousehold(countyCode, householdID string) bool {
	if p.Role == RoleHousehold {
		return householdID != "" && p.HouseholdID == householdID
	}
	return p.CanSeeCounty(countyCode)
}

// CanEditRegistry reports whether the principal may create or change households of
// the county (import, edits).
func (p Principal) CanEditRegistry(countyCode string) bool {
	switch p.Role {
	case RoleAdmin:
		return true
	case RoleCountyOfficer:
		return slices.Contains(p.Counties, countyCode)
	}
	return false
}

// CanRevealPII reports whether the principal's role needs unmasked identity and phone
// numbers of a household it can see (every reveal is audited). Partners, auditors
// and fund staff work with masked values.
func (p Principal) CanRevealPII(countyCode, householdID string) bool {
	switch p.Role {
	case RoleAdmin, RoleCountyOfficer:
		return p.CanSeeHousehold(countyCode, householdID)
	case RoleHousehold:
		return p.HouseholdID == householdID
	}
	return false
}
