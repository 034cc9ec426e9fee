package graph

import (
	"encoding/json"
	"time"
)

// User is the part of a directory user Steward reads.
type User struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	UserPrincipalName string `json:"userPrincipalName"`
	Mail              string `json:"mail"`
	UserType          string `json:"userType"` // Member or Guest
	Department        string `json:"department"`
	CompanyName       string `json:"companyName"`
	Country           string `json:"country"`
	OfficeLocation    string `json:"officeLocation"`
	JobTitle          string `json:"jobTitle"`
	City              string `json:"city"`
	State             string `json:"state"`
	AccountEnabled    *bool  `json:"accountEnabled"`
}

// userSelect is the $select of User: Graph returns only a default subset
// of properties otherwise (department, companyName... are not in it).
const userSelect = "id,displayName,userPrincipalName,mail,userType,department,companyName,country,officeLocation,jobTitle,city,state,accountEnabled"

// Group is a Microsoft 365 group.
type Group struct {
	ID                          string    `json:"id"`
	DisplayName                 string    `json:"displayName"`
	Description                 string    `json:"description"`
	MailNickname                string    `json:"mailNickname"`
	Visibility                  string    `json:"visibility"`
	GroupTypes                  []string  `json:"groupTypes"`
	ResourceProvisioningOptions []string  `json:"resourceProvisioningOptions"`
	CreatedDateTime             time.Time `json:"createdDateTime"`
}

// Team is a team's properties and settings.
type Team struct {
	ID                string         `json:"id"`
	DisplayName       string         `json:"displayName"`
	Description       string         `json:"description"`
	Visibility        string         `json:"visibility"`
	Classification    string         `json:"classification"`
	Specialization    string         `json:"specialization"`
	WebURL            string         `json:"webUrl"`
	IsArchived        bool           `json:"isArchived"`
	InternalID        string         `json:"internalId"`
	MemberSettings    map[string]any `json:"memberSettings,omitempty"`
	GuestSettings     map[string]any `json:"guestSettings,omitempty"`
	MessagingSettings map[string]any `json:"messagingSettings,omitempty"`
	FunSettings       map[string]any `json:"funSettings,omitempty"`
}

// Channel is a team's channel.
type Channel struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	Description    string `json:"description"`
	MembershipType string `json:"membershipType"` // standard, private, shared
	WebURL         string `json:"webUrl"`
}

// Tab is a tab pinned in a channel.
type Tab struct {
	ID            string         `json:"id"`
	DisplayName   string         `json:"displayName"`
	TeamsApp      *TeamsApp      `json:"teamsApp,omitempty"`
	Configuration map[string]any `json:"configuration,omitempty"`
}

// TeamsApp is an app of the catalog.
type TeamsApp struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// InstalledApp is an app installed in a team (with $expand=teamsApp).
type InstalledApp struct {
	ID       string    `json:"id"`
	TeamsApp *TeamsApp `json:"teamsApp,omitempty"`
}

// Member is a team member (aadUserConversationMember).
type Member struct {
	ID          string   `json:"id"` // membership id
	UserID      string   `json:"userId"`
	DisplayName string   `json:"displayName"`
	Email       string   `json:"email"`
	Roles       []string `json:"roles"` // ["owner"], ["guest"] or []
}

// Owner reports whether m is an owner of the team.
func (m Member) Owner() bool {
	for _, r := range m.Roles {
		if r == "owner" {
			return true
		}
	}
	return false
}

// Operation is a teamsAsyncOperation.
type Operation struct {
	ID               string `json:"id"`
	OperationType    string `json:"operationType"`
	Status           string `json:"status"` // notStarted, inProgress, succeeded, failed
	TargetResourceID string `json:"targetResourceId"`
	// CreatedDateTime is when Graph accepted the operation and
	// LastActionDateTime when it last changed: for a finished operation,
	// when it finished. Both are Graph's clock.
	// A timestamp Graph sends in a form Go cannot parse is left zero
	// rather than failing the poll.
	CreatedDateTime    time.Time `json:"-"`
	LastActionDateTime time.Time `json:"-"`
	Error              *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// UnmarshalJSON reads an operation, its timestamps leniently: they only
// tune polling, and a poll must not fail over their format.
func (o *Operation) UnmarshalJSON(b []byte) error {
	type plain Operation
	var v struct {
		plain
		Created    string `json:"createdDateTime"`
		LastAction string `json:"lastActionDateTime"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = Operation(v.plain)
	o.CreatedDateTime, _ = time.Parse(time.RFC3339Nano, v.Created)
	o.LastActionDateTime, _ = time.Parse(time.RFC3339Nano, v.LastAction)
	return nil
}
