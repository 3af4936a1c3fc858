package sandbox

import (
	"crypto/ecdsa"
	"os"
	"path/filepath"
	"testing"
)

func TestKeyPersisted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	a, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Equal(b) {
		t.Fatal("a second load made a new key: old notifications would stop verifying")
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v mode %v", err, st.Mode())
	}
	sb, err := New(Config{KeyDir: dir, BaseURL: "http://x/sandbox/pay/"})
	if err != nil || !a.PublicKey.Equal(sb.PublicKey()) || sb.AppID() != DefaultAppID || sb.Name() != Name {
		t.Fatalf("sandbox from key dir: %v", err)
	}
	sb.Close()
	os.WriteFile(filepath.Join(dir, KeyFile), []byte("not a key"), 0o600)
	if _, err := LoadOrCreateKey(dir); err == nil {
		t.Fatal("broken key file accepted")
	}
	if _, err := New(Config{}); err == nil {
		t.Fatal("sandbox without a key accepted")
	}
}

// TestECDSAKeyPersisted: the P-256 key of KeyType ecdsa is kept in its own file,
// reloaded on restart, and the RSA key file is left alone.
func TestECDSAKeyPersisted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	a, err := New(Config{KeyDir: dir, KeyType: KeyECDSA, BaseURL: "http://x/sandbox/pay/"})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	b, err := New(Config{KeyDir: dir, KeyType: KeyECDSA, BaseURL: "http://x/sandbox/pay/"})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	pa, ok := a.PublicKey().(*ecdsa.PublicKey)
	if !ok || !pa.Equal(b.PublicKey()) {
		t.Fatal("ECDSA sandbox key not P-256 or not persisted")
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); !os.IsNotExist(err) {
		t.Fatalf("an RSA key file appeared: %v", err)
	}
	if _, err := New(Config{KeyDir: dir, KeyType: "dsa"}); err == nil {
		t.Fatal("unknown key type accepted")
	}
}
