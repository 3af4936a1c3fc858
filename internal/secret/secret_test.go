package secret

import (
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustKeys(t *testing.T) *Keys {
	t.Helper()
	b, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	k, err := New(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k := mustKeys(t)
	plain := "11010119900307663X"
	a, err := k.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := k.Seal(plain)
	if a == b {
		t.Error("two seals of one value are equal; nonce is not random")
	}
	if strings.Contains(a, plain) {
		t.Error("sealed text contains the plain value")
	}
	got, err := k.Open(a)
	if err != nil || got != plain {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other := mustKeys(t)
	if _, err := other.Open(a); err == nil {
		t.Error("another key opened the value")
	}
	tampered := a[:len(a)-2] + "AA"
	if _, err := k.Open(tampered); err == nil {
		t.Error("tampered text opened")
	}
	for _, bad := range []string{"", "v1:", "v1:!!", "plain"} {
		if _, err := k.Open(bad); err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
}

func TestHash(t *testing.T) {
	k := mustKeys(t)
	if k.Hash("id", "1") != k.Hash("id", "1") {
		t.Error("hash is not deterministic")
	}
	if k.Hash("id", "1") == k.Hash("phone", "1") {
		t.Error("kinds do not separate hashes")
	}
	if k.Hash("id", "1") == mustKeys(t).Hash("id", "1") {
		t.Error("hash does not depend on the key")
	}
	if len(k.Hash("id", "x")) != 64 {
		t.Error("hash is not 64 hex digits")
	}
}

func TestParse(t *testing.T) {
	raw, _ := Generate()
	forms := []string{hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw), " " + hex.EncodeToString(raw) + "\n"}
	var ref string
	for i, f := range forms {
		k, err := Parse(f)
		if err != nil {
			t.Fatalf("Parse(form %d): %v", i, err)
		}
		h := k.Hash("id", "x")
		if ref == "" {
			ref = h
		} else if h != ref {
			t.Errorf("form %d gives another key", i)
		}
	}
	for _, bad := range []string{"", "abc", hex.EncodeToString(raw[:16])} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("FISHPOND_TEST_KEY", "")
	if _, err := FromEnv("FISHPOND_TEST_KEY"); err != ErrNoKey {
		t.Fatalf("unset: %v", err)
	}
	raw, _ := Generate()
	t.Setenv("FISHPOND_TEST_KEY", hex.EncodeToString(raw))
	if _, err := FromEnv("FISHPOND_TEST_KEY"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FISHPOND_TEST_KEY", "short")
	if _, err := FromEnv("FISHPOND_TEST_KEY"); err == nil || err == ErrNoKey {
		t.Fatalf("bad key: %v", err)
	}
}

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	a, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	b, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := a.Seal("13800138000")
	if got, err := b.Open(sealed); err != nil || got != "13800138000" {
		t.Fatalf("reloaded key does not open: %q %v", got, err)
	}
	os.WriteFile(filepath.Join(dir, KeyFile), []byte("garbage"), 0o600)
	if _, err := LoadOrCreate(dir); err == nil {
		t.Error("a garbage key file was accepted")
	}
}
