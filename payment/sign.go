package payment

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"sort"
	"strings"
)

// SignTypeRSA2 is the only signature type accepted: SHA256withRSA, PKCS#1 v1.5.
// (The wallets' older "RSA" type uses SHA-1 and is refused.)
const SignTypeRSA2 = "RSA2"

// Canonical returns the exact string the wallets sign, Alipay's rule:
//
//   - take every parameter except "sign" and "sign_type";
//   - drop parameters whose value is empty;
//   - sort by key in ascending byte order;
//   - join as key=value with "&", values raw (URL-decoded, not re-escaped).
//
// For example {b: "2", a: "1", sign_type: "RSA2", sign: "…", c: ""} → "a=1&b=2".
// A key with more than one value is ambiguous and makes ok false: a verifier must
// refuse it rather than guess which value was signed.
func Canonical(form url.Values) (s string, ok bool) {
	keys := make([]string, 0, len(form))
	for k, vs := range form {
		if len(vs) > 1 {
			return "", false
		}
		if k == "sign" || k == "sign_type" || len(vs) == 0 || vs[0] == "" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(form[k][0])
	}
	return b.String(), true
}

// Sign sets sign_type=RSA2 and sign=base64(SHA256withRSA(Canonical(form))) on form.
// Providers (the sandbox) sign notifications with it; tests forge with other keys.
func Sign(form url.Values, key *rsa.PrivateKey) error {
	c, ok := Canonical(form)
	if !ok {
		return errors.New("payment: a parameter has several values")
	}
	sum := sha256.Sum256([]byte(c))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return err
	}
	form.Set("sign_type", SignTypeRSA2)
	form.Set("sign", base64.StdEncoding.EncodeToString(sig))
	return nil
}

// verifySignature checks form's RSA2 signature with pub. It distinguishes a missing
// signature (ErrUnsigned) from a wrong one (ErrBadSignature) so that logs say which.
func verifySignature(form url.Values, pub *rsa.PublicKey) error {
	if len(form["sign"]) != 1 || form.Get("sign") == "" {
		return ErrUnsigned
	}
	if len(form["sign_type"]) != 1 || form.Get("sign_type") != SignTypeRSA2 {
		return ErrUnsigned
	}
	c, ok := Canonical(form)
	if !ok {
		return ErrMalformed
	}
	sig, err := base64.StdEncoding.DecodeString(form.Get("sign"))
	if err != nil || pub == nil {
		return ErrBadSignature
	}
	sum := sha256.Sum256([]byte(c))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return ErrBadSignature
	}
	return nil
}
