package registry

import (
	"context"
	"encoding/json"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Change is one recorded change of a household: who, when, what. The registry is the
// basis of public money, so every edit and import leaves one.
type Change struct {
	ID          string
	HouseholdID string
	At          time.Time
	Actor       string // user id
	ActorName   string
	Action      string // create, update, import.create, import.update
	Changes     []FieldChange
}

// FieldChange is one changed value. Member names the member for member fields;
// identity and phone numbers appear only masked.
type FieldChange struct {
	Member string `json:"member,omitempty"`
	Field  string `json:"field"`
	Old    string `json:"old,omitempty"`
	New    string `json:"new,omitempty"`
}

type historyDoc struct {
	ActorName string        `json:"actor_name,omitempty"`
	Changes   []FieldChange `json:"changes"`
}

func writeHistory(ctx context.Context, tx *db.Tx, householdID string, now time.Time, p fishpond.Principal, action string, changes []FieldChange) error {
	b, err := json.Marshal(historyDoc{ActorName: p.Name, Changes: changes})
	if err != nil {
		return fishpond.Internal(err)
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO household_history (id, household_id, at, actor, action, changes) VALUES (?, ?, ?, ?, ?, ?)",
		newID(), householdID, db.FormatTime(now), p.UserID, action, string(b))
	return conflictOrInternal(err)
}

// History lists a household's changes, oldest first, for principals who can see it.
func (s *Store) History(ctx context.Context, p fishpond.Principal, householdID string) ([]Change, error) {
	if _, err := s.Household(ctx, p, householdID); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT id, household_id, at, actor, action, changes FROM household_history WHERE household_id = ? ORDER BY at, id", householdID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var at, doc string
		if err := rows.Scan(&c.ID, &c.HouseholdID, &at, &c.Actor, &c.Action, &doc); err != nil {
			return nil, fishpond.Internal(err)
		}
		c.At = db.MustTime(at)
		var d historyDoc
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return nil, fishpond.Internal(err)
		}
		c.ActorName, c.Changes = d.ActorName, d.Changes
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fishpond.Internal(err)
	}
	return out, nil
}
