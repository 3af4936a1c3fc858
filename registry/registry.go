// Package registry is the targeted-poverty registry (建档立卡): the statutory places
// (provinces, prefectures, counties with the 832 national poverty counties), villages,
// registered poor households, their members, causes of poverty and the "two no-worries,
// three guarantees" indicators. Every other capability pays, trains, insures or lends
// to households defined here, so the registry validates hard, scopes every read by the
// caller, encrypts personal numbers and records every change.
package registry

import (
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/secret"

	"github.com/google/uuid"
)

// Store is the registry capability: places, villages and households on one database.
type Store struct {
	db    *db.DB
	keys  *secret.Keys
	clock fishpond.Clock
}

// NewStore builds the registry on an open, migrated database. keys protect identity
// and phone numbers; clock gives each transaction its "now".
func NewStore(d *db.DB, keys *secret.Keys, clock fishpond.Clock) *Store {
	if clock == nil {
		clock = fishpond.SystemClock{}
	}
	return &Store{db: d, keys: keys, clock: clock}
}

// now is the one instant a use case records.
func (s *Store) now() time.Time { return s.clock.Now().UTC() }

// newID returns a time-ordered unique id.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

func notFound(what string) error {
	return fishpond.Errorf(fishpond.ENotFound, "%s", what)
}

func forbidden(format string, args ...any) error {
	return fishpond.Errorf(fishpond.EForbidden, format, args...)
}
