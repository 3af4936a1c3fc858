package access

import (
	"context"
	"strings"

	"fishpond"
	"fishpond/internal/db"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
)

// CreateConsumers adds many consumer accounts that share one password (load tests,
// a partner's batch of shoppers) with a single bcrypt hash: hashing each one at the
// default cost would take about 60 ms of CPU apiece. Names that already exist are
// left alone; it returns how many were created. Admins only.
func (s *Service) CreateConsumers(ctx context.Context, p fishpond.Principal, names []string, displayPrefix, password string) (int, error) {
	if p.Role != fishpond.RoleAdmin {
		return 0, fishpond.Errorf(fishpond.EForbidden, "only an admin can add users / 只有管理员可以添加用户")
	}
	for _, n := range names {
		in := NewUser{Name: n, DisplayName: displayPrefix + n, Role: fishpond.RoleConsumer, Password: password}
		if err := in.validate(); err != nil {
			return 0, err
		}
	}
	if len(names) == 0 {
		return 0, nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return 0, fishpond.Internal(err)
	}
	now := db.FormatTime(s.clock.Now())
	const batch = 500
	tuple := "(" + db.Placeholders(8) + ")"
	created := 0
	for start := 0; start < len(names); start += batch {
		part := names[start:min(start+batch, len(names))]
		tuples := make([]string, 0, len(part))
		args := make([]any, 0, 8*len(part))
		for _, name := range part {
			tuples = append(tuples, tuple)
			args = append(args, uuid.Must(uuid.NewV7()).String(), strings.TrimSpace(name), displayPrefix+name, string(fishpond.RoleConsumer), string(hash), nil, 0, now)
		}
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			res, err := tx.ExecContext(ctx, `INSERT INTO users (id, name, display_name, role, password_hash, household_id, disabled, created_at)
				VALUES `+strings.Join(tuples, ", ")+` ON CONFLICT (name) DO NOTHING`, args...)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			created += int(n)
			return nil
		})
		if err != nil {
			return created, fishpond.Internal(err)
		}
	}
	return created, nil
}
