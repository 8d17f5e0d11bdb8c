package ranking

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// StyleHash is the CSP source of the page's one inline <style> element ('sha256-…'), the
// only thing the page needs beyond the service's policy: the page stays self-contained
// (it is printed and forwarded as a file) without allowing any other inline style.
var StyleHash = styleHash(pageText)

// styleHash hashes the text between the template's <style> and </style>; it holds no
// template actions, so every page rendered carries exactly this text.
func styleHash(tmpl string) string {
	_, rest, ok := strings.Cut(tmpl, "<style>")
	body, _, ok2 := strings.Cut(rest, "</style>")
	if !ok || !ok2 || strings.Contains(body, "{{") {
		panic("ranking: page.html.tmpl needs one static <style> element") // a build defect, caught by every test
	}
	sum := sha256.Sum256([]byte(body))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}
