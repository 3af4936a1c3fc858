package sandbox

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// KeyFile is the sandbox's RSA private key inside its key directory (PKCS#8 PEM,
// 0600); ECDSAKeyFile its P-256 key, when Config.KeyType is KeyECDSA.
const (
	KeyFile      = "sandbox-pay-rsa.pem"
	ECDSAKeyFile = "sandbox-pay-ecdsa-p256.pem"
)

// Key types of Config.KeyType.
const (
	KeyRSA   = "rsa"
	KeyECDSA = "ecdsa"
)

// LoadOrCreateKey reads dir/KeyFile, or generates a 2048-bit RSA key there the first
// time, so notifications signed before a restart still verify after it.
func LoadOrCreateKey(dir string) (*rsa.PrivateKey, error) {
	k, err := loadOrCreate(dir, KeyFile, func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("sandbox key %s: not an RSA key", filepath.Join(dir, KeyFile))
	}
	return rk, nil
}

// LoadOrCreateECDSAKey is LoadOrCreateKey for the P-256 key (ECDSAKeyFile).
func LoadOrCreateECDSAKey(dir string) (*ecdsa.PrivateKey, error) {
	k, err := loadOrCreate(dir, ECDSAKeyFile, func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) })
	if err != nil {
		return nil, err
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, fmt.Errorf("sandbox key %s: not a P-256 key", filepath.Join(dir, ECDSAKeyFile))
	}
	return ek, nil
}

func loadOrCreate(dir, file string, generate func() (crypto.Signer, error)) (crypto.Signer, error) {
	path := filepath.Join(dir, file)
	if b, err := os.ReadFile(path); err == nil {
		return parseKey(b, path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key, err := generate()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process won the race: use its key
		return loadOrCreate(dir, file, generate)
	}
	if err != nil {
		return nil, err
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}

func parseKey(b []byte, path string) (crypto.Signer, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("sandbox key %s: not PEM", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("sandbox key %s: %w", path, err)
	}
	sk, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("sandbox key %s: not a signing key", path)
	}
	return sk, nil
}
