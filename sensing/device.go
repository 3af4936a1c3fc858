package sensing

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Device is a sensor or a gateway on a site. Its secret is shown once, when it is
// created or rotated; only its SHA-256 is stored.
type Device struct {
	ID         string    `json:"id"`
	SiteID     string    `json:"site_id"`
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	GatewayID  string    `json:"gateway_id,omitempty"`
	Location   string    `json:"location,omitempty"`
	Disabled   bool      `json:"disabled"`
	Accepted   int64     `json:"accepted"`
	Duplicates int64     `json:"duplicates"`
	Rejected   int64     `json:"rejected"`
	LastReject string    `json:"last_reject,omitempty"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	CreatedAt  time.Time `json:"created_at"`
	// Secret is set only in the answer to create or rotate.
	Secret string `json:"secret,omitempty"`
}

// Metrics lists what the device measures, with units.
func (d Device) Metrics() []Metric {
	var out []Metric
	for _, m := range DeviceTypes[d.Type] {
		out = append(out, Metrics[m])
	}
	return out
}

// NewDevice is what CreateDevice needs.
type NewDevice struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	GatewayID string `json:"gateway_id"`
	Location  string `json:"location"`
}

func randomSecret() string {
	var b [24]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// CreateDevice registers a device on a site the caller manages and returns it
// with its secret (the only time the secret is shown).
func (s *Service) CreateDevice(ctx context.Context, p fishpond.Principal, siteID string, in NewDevice) (Device, error) {
	site, err := s.Site(ctx, p, siteID)
	if err != nil {
		return Device{}, err
	}
	if !canManage(p, site) {
		return Device{}, fishpond.Errorf(fishpond.EForbidden, "you cannot add devices to this site / 无权为该站点添加设备")
	}
	in.Name = strings.TrimSpace(in.Name)
	f := map[string]string{}
	if in.Name == "" || len([]rune(in.Name)) > 60 {
		f["name"] = "1–60 characters"
	}
	if !slices.Contains(siteDeviceTypes[site.Kind], in.Type) {
		f["type"] = "on a " + site.Kind + ": one of " + strings.Join(siteDeviceTypes[site.Kind], ", ")
	}
	if len(in.Location) > 200 {
		f["location"] = "at most 200 characters"
	}
	if in.GatewayID != "" && in.Type == "gateway" {
		f["gateway_id"] = "a gateway cannot sit behind another gateway"
	}
	if len(f) > 0 {
		return Device{}, fishpond.Invalid("invalid device / 设备信息有误", f)
	}
	d := Device{ID: newID(), SiteID: site.ID, Name: in.Name, Type: in.Type, GatewayID: in.GatewayID, Location: in.Location, CreatedAt: s.now(), Secret: randomSecret()}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if d.GatewayID != "" {
			var typ, gsite string
			err := tx.QueryRowContext(ctx, "SELECT type, site_id FROM sensing_devices WHERE id = ?", d.GatewayID).Scan(&typ, &gsite)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && (typ != "gateway" || gsite != site.ID)) {
				return fishpond.Invalid("invalid device / 设备信息有误", map[string]string{"gateway_id": "not a gateway of this site"})
			}
			if err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sensing_devices (id, site_id, name, type, gateway_id, location, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.SiteID, d.Name, d.Type, d.GatewayID, d.Location, hashSecret(d.Secret), db.FormatTime(d.CreatedAt))
		if db.IsUniqueViolation(err) {
			return fishpond.Errorf(fishpond.EConflict, "this site already has a device named %q / 该站点已有同名设备", d.Name)
		}
		return err
	})
	if err != nil {
		return Device{}, err
	}
	return d, nil
}

// RotateSecret gives a device a new secret, returned once; the old one stops working.
func (s *Service) RotateSecret(ctx context.Context, p fishpond.Principal, deviceID string) (Device, error) {
	d, site, err := s.device(ctx, p, deviceID)
	if err != nil {
		return Device{}, err
	}
	if !canManage(p, site) {
		return Device{}, fishpond.Errorf(fishpond.EForbidden, "you cannot change this device / 无权修改该设备")
	}
	d.Secret = randomSecret()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE sensing_devices SET secret_hash = ? WHERE id = ?", hashSecret(d.Secret), d.ID)
		return err
	})
	s.creds.forget(d.ID)
	return d, err
}

const deviceCols = "id, site_id, name, type, gateway_id, location, disabled, accepted, duplicates, rejected, last_reject, last_seen_ms, created_at"

func scanDevice(sc interface{ Scan(...any) error }) (Device, error) {
	var d Device
	var disabled int
	var seen int64
	var created string
	err := sc.Scan(&d.ID, &d.SiteID, &d.Name, &d.Type, &d.GatewayID, &d.Location, &disabled, &d.Accepted, &d.Duplicates, &d.Rejected, &d.LastReject, &seen, &created)
	if err != nil {
		return d, err
	}
	d.Disabled = disabled != 0
	if seen > 0 {
		d.LastSeen = time.UnixMilli(seen).UTC()
	}
	d.CreatedAt, err = db.ParseTime(created)
	return d, err
}

func (s *Service) device(ctx context.Context, p fishpond.Principal, id string) (Device, Site, error) {
	d, err := scanDevice(s.db.Read().QueryRowContext(ctx, "SELECT "+deviceCols+" FROM sensing_devices WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Device{}, Site{}, fishpond.Errorf(fishpond.ENotFound, "device not found / 设备不存在")
	}
	if err != nil {
		return Device{}, Site{}, err
	}
	site, err := s.Site(ctx, p, d.SiteID)
	if err != nil {
		return Device{}, Site{}, fishpond.Errorf(fishpond.ENotFound, "device not found / 设备不存在")
	}
	return d, site, nil
}

// Device returns a device of a site the caller can see.
func (s *Service) Device(ctx context.Context, p fishpond.Principal, id string) (Device, error) {
	d, _, err := s.device(ctx, p, id)
	return d, err
}

// Devices lists a site's devices.
func (s *Service) Devices(ctx context.Context, p fishpond.Principal, siteID string) ([]Device, error) {
	if _, err := s.Site(ctx, p, siteID); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+deviceCols+" FROM sensing_devices WHERE site_id = ? ORDER BY type, name", siteID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// cred is what ingest needs to know about a device, cached so that a message
// costs one SHA-256 and no query.
type cred struct {
	hash      [32]byte
	typ       string
	siteID    string
	siteKind  string
	county    string
	gatewayID string
	disabled  bool
	loaded    time.Time
}

// credTTL bounds how long a cached credential is trusted: a secret rotated or a
// device disabled by another process (the CLI) stops working within it.
const credTTL = time.Minute

type credCache struct {
	mu sync.RWMutex
	m  map[string]cred
}

func (c *credCache) forget(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

func (s *Service) cred(ctx context.Context, id string) (cred, bool, error) {
	s.creds.mu.RLock()
	c, ok := s.creds.m[id]
	s.creds.mu.RUnlock()
	if ok && time.Since(c.loaded) < credTTL {
		return c, true, nil
	}
	c = cred{loaded: time.Now()}
	var hash string
	var disabled int
	err := s.db.Read().QueryRowContext(ctx, `SELECT d.secret_hash, d.type, d.site_id, s.kind, s.county_code, d.gateway_id, d.disabled
		FROM sensing_devices d JOIN sensing_sites s ON s.id = d.site_id WHERE d.id = ?`, id).
		Scan(&hash, &c.typ, &c.siteID, &c.siteKind, &c.county, &c.gatewayID, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return cred{}, false, nil
	}
	if err != nil {
		return cred{}, false, err
	}
	b, err := hex.DecodeString(hash)
	if err != nil || len(b) != 32 {
		return cred{}, false, errors.New("sensing: bad secret hash for device " + id)
	}
	copy(c.hash[:], b)
	c.disabled = disabled != 0
	s.creds.mu.Lock()
	s.creds.m[id] = c
	s.creds.mu.Unlock()
	return c, true, nil
}

// Authenticate checks a device's credentials (MQTT username and password, HTTP
// Basic, or the external broker's device-key property).
func (s *Service) Authenticate(ctx context.Context, deviceID, secret string) error {
	c, ok, err := s.cred(ctx, deviceID)
	if err != nil {
		return fishpond.Internal(err)
	}
	h := sha256.Sum256([]byte(secret))
	if !ok || c.disabled || subtle.ConstantTimeCompare(h[:], c.hash[:]) != 1 {
		return fishpond.Errorf(fishpond.EUnauthorized, "unknown device or wrong secret / 设备或密钥错误")
	}
	return nil
}

// mayPublishFor reports whether an authenticated device may send readings of
// another: itself, or a sensor behind it when it is that sensor's gateway.
func (s *Service) mayPublishFor(ctx context.Context, auth, device string) (cred, bool) {
	c, ok, err := s.cred(ctx, device)
	if err != nil || !ok || c.disabled {
		return cred{}, false
	}
	return c, device == auth || (c.gatewayID != "" && c.gatewayID == auth)
}
