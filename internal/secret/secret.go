// Package secret keeps personal data (identity and phone numbers) unreadable at rest:
// it encrypts values with AES-256-GCM and derives keyed hashes so that the registry
// can find a member by identity number without storing the number itself. One 32-byte
// data key, held outside the database, protects everything; losing the database alone
// reveals nothing.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of the data key in bytes (AES-256).
const KeySize = 32

// KeyFile is the file name LoadOrCreate uses inside the data directory.
const KeyFile = "secret.key"

// sealPrefix versions sealed text so that a later key or algorithm change can tell
// old values apart and re-encrypt them.
const sealPrefix = "v1:"

// ErrNoKey says that the environment variable given to FromEnv is unset, so the caller
// can fall back to a key file.
var ErrNoKey = errors.New("secret: no key in the environment")

// Keys holds the subkeys derived from one data key. Encryption and hashing use
// separate subkeys so that neither use weakens the other.
type Keys struct {
	aead    cipher.AEAD
	hashKey []byte
}

// New derives the working keys from a 32-byte data key.
func New(key []byte) (*Keys, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: key must be %d bytes, got %d", KeySize, len(key))
	}
	encKey, err := hkdf.Key(sha256.New, key, nil, "fishpond/seal/v1", KeySize)
	if err != nil {
		return nil, err
	}
	hashKey, err := hkdf.Key(sha256.New, key, nil, "fishpond/hash/v1", KeySize)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keys{aead: aead, hashKey: hashKey}, nil
}

// Generate makes a fresh random data key, for first runs and tests.
func Generate() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return k, nil
}

// Parse reads a data key written as 64 hex digits or as base64 (standard or URL
// alphabet, padded or not), the forms an operator can put in FISHPOND_KEY.
func Parse(s string) (*Keys, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return New(b)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return New(b)
		}
	}
	return nil, fmt.Errorf("secret: key must be %d bytes written as 64 hex digits or base64", KeySize)
}

// FromEnv reads the key from the environment variable name (cmd uses FISHPOND_KEY).
// It returns ErrNoKey when the variable is unset or empty.
func FromEnv(name string) (*Keys, error) {
	v := os.Getenv(name)
	if strings.TrimSpace(v) == "" {
		return nil, ErrNoKey
	}
	k, err := Parse(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return k, nil
}

// LoadOrCreate reads dir/secret.key (hex), creating it with a fresh key and mode 0600
// on first run, so that a demo or a single-machine install protects personal data
// without any setup. Operators who keep the key elsewhere use FromEnv instead.
func LoadOrCreate(dir string) (*Keys, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		return Parse(string(b))
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("secret: read key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("secret: create key directory: %w", err)
	}
	key, err := Generate()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process won the race: use its key
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("secret: read key: %w", err)
		}
		return Parse(string(b))
	}
	if err != nil {
		return nil, fmt.Errorf("secret: create key: %w", err)
	}
	_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("secret: write key: %w", err)
	}
	return New(key)
}

// Seal encrypts plain with a random nonce and returns printable text for a TEXT
// column. Sealing the same value twice gives different text; compare with Hash.
func (k *Keys) Seal(plain string) (string, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := k.aead.Seal(nonce, nonce, []byte(plain), nil)
	return sealPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts text made by Seal; a wrong key or tampered text is an error, never
// garbage.
func (k *Keys) Open(sealed string) (string, error) {
	rest, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", errors.New("secret: not sealed text")
	}
	b, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(b) < k.aead.NonceSize()+k.aead.Overhead() {
		return "", errors.New("secret: sealed text is malformed")
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return "", errors.New("secret: sealed text does not open with this key")
	}
	return string(plain), nil
}

// Hash is a keyed HMAC-SHA256 (hex) of value within kind ("id", "phone"), used as an
// equality index: without the key, nobody can test guesses of the 18-digit number
// against the database, which a plain hash of so small a space would allow.
func (k *Keys) Hash(kind, value string) string {
	m := hmac.New(sha256.New, k.hashKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}
