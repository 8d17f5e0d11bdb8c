package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// SignatureHeader carries the body's signature: "sha256=" and the hex HMAC-SHA256 of the
// exact body bytes, keyed with the subscription's secret.
const SignatureHeader = "X-Duban-Signature"

// Sign returns the X-Duban-Signature value of body.
func Sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether sig is the signature of body with secret, in constant time — what
// a receiver does before trusting a delivery.
func Verify(body []byte, secret, sig string) bool {
	got, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return false
	}
	mac, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(mac, m.Sum(nil))
}
