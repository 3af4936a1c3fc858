package access

import (
	"context"

	"fishpond"
)

// SignUpConsumer lets anyone open a consumer account to buy in the shop. Only the
// consumer role can be self-assigned; every other role is given by an admin.
// remote is the client, so sign-up shares the login rate limiter against abuse.
func (s *Service) SignUpConsumer(ctx context.Context, name, displayName, password, remote string) (User, error) {
	now := s.clock.Now()
	if wait := s.limiter.blocked("signup", remote, now); wait > 0 {
		return User{}, fishpond.Errorf(fishpond.ERateLimited, "too many sign-ups from this address; try again in %d minutes / 注册过于频繁，请 %d 分钟后再试", minutes(wait), minutes(wait))
	}
	u, err := s.CreateUser(ctx, fishpond.System, NewUser{Name: name, DisplayName: displayName, Role: fishpond.RoleConsumer, Password: password})
	if err != nil {
		return User{}, err
	}
	// Each sign-up counts against the client like a failed login: a handful an
	// hour from one address is plenty for people, too few for a script.
	s.limiter.fail("signup", remote, now)
	return u, nil
}
