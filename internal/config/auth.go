package config

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// auth validates `auth.tokens`, `auth.allowed_origins` and `metrics_token`, and keeps every
// token as its SHA-256 only.
func (l *loader) auth(fc *fileConfig) *Error {
	seen := make(map[Hash]int, len(fc.Auth.Tokens))
	for i, ft := range fc.Auth.Tokens {
		key := fmt.Sprintf("auth.tokens[%d]", i)
		tok, err := l.token(key, ft)
		if err != nil {
			return err
		}
		if j, dup := seen[tok.Hash]; dup {
			return &Error{Key: key, Message: fmt.Sprintf("is the same token as auth.tokens[%d]", j)}
		}
		seen[tok.Hash] = i
		l.cfg.Auth.Tokens = append(l.cfg.Auth.Tokens, tok)
	}
	for i, o := range fc.Auth.AllowedOrigins {
		origin, err := parseOrigin(o)
		if err != nil {
			return &Error{Key: fmt.Sprintf("auth.allowed_origins[%d]", i), Message: err.Error()}
		}
		l.cfg.Auth.AllowedOrigins = append(l.cfg.Auth.AllowedOrigins, origin)
	}
	if t := fc.MetricsToken; t != "" {
		if err := checkClearToken(t); err != nil {
			return &Error{Key: "metrics_token", Message: err.Error()}
		}
		h := HashToken(t)
		l.cfg.MetricsToken = &h
	}
	return nil
}

// token validates one entry of auth.tokens: exactly one of sha256 and token; a role, or a
// department alone for a collector.
func (l *loader) token(key string, ft fileToken) (Token, *Error) {
	var tok Token
	switch {
	case ft.SHA256 != "" && ft.Token != "":
		return tok, &Error{Key: key, Message: "give either sha256 or token, not both"}
	case ft.SHA256 != "":
		h, ok := hashHex(ft.SHA256)
		if !ok {
			return tok, &Error{Key: key + ".sha256", Message: "must be 64 hexadecimal characters (sha256sum of the token)"}
		}
		tok.Hash = h
	case ft.Token != "":
		if err := checkClearToken(ft.Token); err != nil {
			return tok, &Error{Key: key + ".token", Message: err.Error()}
		}
		tok.Hash = HashToken(ft.Token)
	default:
		return tok, &Error{Key: key, Message: "needs sha256 or token"}
	}
	switch Role(ft.Role) {
	case "":
		if ft.Department == "" {
			return tok, &Error{Key: key, Message: "needs a role, or a department for a department collector"}
		}
		tok.Role = RoleCollector
	case RoleViewer:
		tok.Role = RoleViewer
	case RoleLiaison:
		if ft.Department == "" {
			return tok, &Error{Key: key + ".department", Message: "a liaison token needs the department it replies for"}
		}
		tok.Role = RoleLiaison
	case RoleSupervisor, RoleAdmin:
		// Only collectors and viewers are scoped to a department (docs/configuration.md, `auth.tokens`):
		// a department on a supervisor would look like a limit that nothing enforces.
		if ft.Department != "" {
			return tok, &Error{Key: key + ".department", Message: fmt.Sprintf("a %s token acts on every department; only collector, viewer and liaison tokens name one", ft.Role)}
		}
		tok.Role = Role(ft.Role)
	default:
		return tok, &Error{Key: key + ".role", Message: "must be viewer, liaison, supervisor or admin"}
	}
	if n := ft.Name; n != "" {
		if len([]rune(n)) > 64 || strings.TrimSpace(n) != n || strings.IndexFunc(n, unicode.IsControl) >= 0 {
			return tok, &Error{Key: key + ".name", Message: "must be at most 64 characters, without control characters or surrounding spaces"}
		}
		tok.Name = n
	}
	if d := ft.Department; d != "" {
		if l.cfg.Catalog != nil {
			if _, ok := l.cfg.Catalog.Department(d); !ok {
				return tok, &Error{Key: key + ".department", Message: fmt.Sprintf("%q is not a department of the catalogue", d)}
			}
		} else if !validID(d) {
			return tok, &Error{Key: key + ".department", Message: fmt.Sprintf("%q is not a department code (letters, digits and -_.:/)", d)}
		}
		tok.Department = d
	}
	return tok, nil
}

// checkClearToken rejects tokens that cannot travel in an Authorization header as given.
func checkClearToken(t string) error {
	for _, r := range t {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("must not contain spaces or control characters")
		}
	}
	return nil
}

// validID reports whether s is a valid ID (a department code): 1–128 letters, digits and -_.:/.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) || strings.ContainsRune("-_.:/", r)) {
			return false
		}
	}
	return true
}

// parseOrigin checks a WebSocket origin and returns it as browsers send it in Origin:
// scheme://host[:port], lower case, with no path.
func parseOrigin(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an origin like https://screen.example.gov.cn", s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}
