package catalogfile

import (
	"fmt"
	"strings"

	"github.com/duban-gov/duban/monitor"
	"go.yaml.in/yaml/v3"
)

// catalogParser walks the YAML tree by hand, rather than decoding into structs, so that
// every problem is reported at once under the entry's own name.
type catalogParser struct {
	errs monitor.FieldErrors
	// skip holds paths (an entry or one of its keys) whose monitor.Catalog.Validate errors would only
	// repeat a problem already reported: an entry that is not a mapping, a key that failed to
	// parse, a promised_days derived from a bad statutory_days.
	skip []string
}

// covered reports whether a Validate error on field repeats a problem already reported.
func (p *catalogParser) covered(field string) bool {
	for _, e := range p.errs {
		if e.Field == field {
			return true
		}
	}
	for _, s := range p.skip {
		if field == s || strings.HasPrefix(field, s+".") {
			return true
		}
	}
	return false
}

func (p *catalogParser) fail(field string, n *yaml.Node, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if n != nil && n.Line > 0 {
		msg += fmt.Sprintf(" (line %d)", n.Line)
	}
	p.errs = append(p.errs, monitor.FieldError{Field: field, Message: msg})
}

// yamlPair is one key and value of a mapping, with merge keys expanded and aliases resolved.
type yamlPair struct {
	key   string
	kn, v *yaml.Node
}

func yamlResolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func yamlIsNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// mapping returns the pairs of a mapping node, reporting repeated keys under path (ok is
// false when n is not a mapping). Keys of merged mappings (`<<`) come after the mapping's
// own and lose to them.
func (p *catalogParser) mapping(path string, n *yaml.Node) (pairs []yamlPair, ok bool) {
	n = yamlResolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		p.fail(path, n, "must be a mapping")
		return nil, false
	}
	var own, merged []yamlPair
	p.collect(path, n, &own, &merged, 0)
	seen := make(map[string]bool, len(own))
	out := make([]yamlPair, 0, len(own))
	for _, kv := range own {
		if seen[kv.key] {
			p.fail(monitor.JoinPath(path, kv.key), kv.kn, "is given more than once")
			continue
		}
		seen[kv.key] = true
		out = append(out, kv)
	}
	for _, kv := range merged {
		if !seen[kv.key] {
			seen[kv.key] = true
			out = append(out, kv)
		}
	}
	return out, true
}

// knownOnly drops, and reports under path, the pairs whose key is not in known.
func (p *catalogParser) knownOnly(path string, pairs []yamlPair, known []string) []yamlPair {
	valid := pairs[:0]
	for _, kv := range pairs {
		if containsString(known, kv.key) {
			valid = append(valid, kv)
		} else {
			p.fail(monitor.JoinPath(path, kv.key), kv.kn, "unknown key (known: %s)", strings.Join(known, ", "))
		}
	}
	return valid
}

// entry reads one mapping of a list: its path (named by its code, found first), and its
// pairs with known keys only. ok is false when n is not a mapping.
func (p *catalogParser) entry(list string, i int, n *yaml.Node, known []string) (path, code string, pairs []yamlPair, ok bool) {
	var scratch catalogParser // problems are reported below, under the final path
	all, ok := scratch.mapping("", n)
	if !ok {
		path = fmt.Sprintf("%s[%d]", list, i)
		p.fail(path, yamlResolve(n), "must be a mapping")
		p.skip = append(p.skip, path)
		return path, "", nil, false
	}
	for _, kv := range all {
		if kv.key == "code" {
			code = p.str(fmt.Sprintf("%s[%d].code", list, i), kv.v)
		}
	}
	path = monitor.EntryPath(list, i, code)
	pairs, _ = p.mapping(path, n)
	return path, code, p.knownOnly(path, pairs, known), true
}

// collect appends n's own pairs to own and those of its merge keys to merged. depth bounds
// merges of merges.
func (p *catalogParser) collect(path string, n *yaml.Node, own, merged *[]yamlPair, depth int) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := yamlResolve(n.Content[i]), yamlResolve(n.Content[i+1])
		if kn == nil || kn.Kind != yaml.ScalarNode {
			p.fail(path, kn, "keys must be plain strings")
			continue
		}
		if kn.ShortTag() != "!!merge" {
			*own = append(*own, yamlPair{key: kn.Value, kn: kn, v: v})
			continue
		}
		if depth > 8 {
			p.fail(path, kn, "merge keys nest too deeply")
			continue
		}
		srcs := []*yaml.Node{v}
		if v != nil && v.Kind == yaml.SequenceNode {
			srcs = v.Content
		}
		for _, src := range srcs {
			src = yamlResolve(src)
			if src == nil || src.Kind != yaml.MappingNode {
				p.fail(path, kn, "a merge key (<<) must name a mapping")
				continue
			}
			var o, m []yamlPair
			p.collect(path, src, &o, &m, depth+1)
			*merged = append(*merged, o...)
			*merged = append(*merged, m...)
		}
	}
}

// sequence returns the items of a sequence node; null is an empty sequence.
func (p *catalogParser) sequence(path string, n *yaml.Node) []*yaml.Node {
	n = yamlResolve(n)
	if yamlIsNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(path, n, "must be a list")
		return nil
	}
	return n.Content
}

// str reads a string scalar as written; null is "".
func (p *catalogParser) str(path string, n *yaml.Node) string {
	if yamlIsNull(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		p.fail(path, n, "must be a string")
		return ""
	}
	return n.Value
}

// days reads a count of working days; ok is false when absent (or null) or malformed. The
// range is monitor.Catalog.Validate's; values far beyond it are clamped so that no platform's int
// overflows on the way.
func (p *catalogParser) days(path string, n *yaml.Node) (v int, ok bool) {
	if yamlIsNull(n) {
		return 0, false
	}
	var i64 int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i64) != nil {
		p.fail(path, n, "must be a whole number of working days")
		return 0, false
	}
	const clamp = 1 << 20
	return int(max(-clamp, min(i64, clamp))), true
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
