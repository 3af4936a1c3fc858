package payment

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"sort"
	"strings"
)

// SignTypeRSA2 is the signature type of the wallets: SHA256withRSA, PKCS#1 v1.5.
// (The wallets' older "RSA" type uses SHA-1 and is refused.) A provider with an
// RSA key — every real wallet — accepts nothing else.
const SignTypeRSA2 = "RSA2"

// SignTypeES256 is ECDSA P-256 with SHA-256 (ASN.1 signature), accepted only from
// a provider whose key is a P-256 key: the sandbox wallet can be given one for
// load tests, because an RSA-2048 private-key operation costs the wallet ~50× more
// than an ECDSA one and the sandbox runs on our own CPU. Verifying ES256 costs our
// side ~3× more than verifying RSA2, so load figures err on our side's expense.
const SignTypeES256 = "ES256"

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

// Sign sets sign_type and sign=base64(signature of Canonical(form)) on form:
// RSA2 (SHA256withRSA) with an *rsa.PrivateKey, ES256 with a P-256
// *ecdsa.PrivateKey. Providers (the sandbox) sign notifications with it; tests
// forge with other keys.
func Sign(form url.Values, key crypto.Signer) error {
	c, ok := Canonical(form)
	if !ok {
		return errors.New("payment: a parameter has several values")
	}
	sum := sha256.Sum256([]byte(c))
	var sig []byte
	var typ string
	var err error
	switch k := key.(type) {
	case *rsa.PrivateKey:
		typ = SignTypeRSA2
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return errors.New("payment: ECDSA keys must be P-256")
		}
		typ = SignTypeES256
		sig, err = ecdsa.SignASN1(rand.Reader, k, sum[:])
	default:
		return errors.New("payment: unsupported signing key")
	}
	if err != nil {
		return err
	}
	form.Set("sign_type", typ)
	form.Set("sign", base64.StdEncoding.EncodeToString(sig))
	return nil
}

// verifySignature checks form's signature with pub, whose type decides the one
// sign_type accepted (RSA2 for an RSA key, ES256 for a P-256 key). It
// distinguishes a missing signature or another sign_type (ErrUnsigned) from a
// wrong one (ErrBadSignature) so that logs say which.
func verifySignature(form url.Values, pub crypto.PublicKey) error {
	want := ""
	switch k := pub.(type) {
	case *rsa.PublicKey:
		want = SignTypeRSA2
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() {
			want = SignTypeES256
		}
	}
	if len(form["sign"]) != 1 || form.Get("sign") == "" {
		return ErrUnsigned
	}
	if len(form["sign_type"]) != 1 || (form.Get("sign_type") != want && want != "") || form.Get("sign_type") == "" {
		return ErrUnsigned
	}
	if want == "" {
		return ErrBadSignature // no usable key: nothing verifies
	}
	c, ok := Canonical(form)
	if !ok {
		return ErrMalformed
	}
	sig, err := base64.StdEncoding.DecodeString(form.Get("sign"))
	if err != nil {
		return ErrBadSignature
	}
	sum := sha256.Sum256([]byte(c))
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig) != nil {
			return ErrBadSignature
		}
	case *ecdsa.PublicKey:
		if k == nil || !ecdsa.VerifyASN1(k, sum[:], sig) {
			return ErrBadSignature
		}
	default:
		return ErrBadSignature
	}
	return nil
}
