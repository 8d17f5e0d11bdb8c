package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
)

// assetFS holds the page templates (*.html) and the files served under /assets/.
//
//go:embed assets
var assetFS embed.FS

// contentTypes are the served files' types, by extension: set here, not guessed from the
// machine's mime tables, so every replica answers the same.
var contentTypes = map[string]string{
	".js":    "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8", // the shipped font's licence
}

// asset is one embedded file, read once at start.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

// assetSet is every servable file, by name under assets/, and the digest of them all.
type assetSet struct {
	files  map[string]asset
	digest string
}

func loadAssets() (*assetSet, error) {
	set := &assetSet{files: map[string]asset{}}
	var names []string
	err := fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil // templates and anything else are not served
		}
		body, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		name := strings.TrimPrefix(p, "assets/")
		set.files[name] = asset{body: body, ctype: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		names = append(names, name)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("screen: load assets: %w", err)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s %s\n", n, set.files[n].etag)
	}
	set.digest = hex.EncodeToString(h.Sum(nil)[:6])
	return set, nil
}

// asset serves /assets/NAME. With ?v= equal to the current digest (the URLs the pages
// write) a file is cached for a year, since a new build changes the digest and so the URL;
// any other request is answered "no-cache", revalidated by its ETag — the page's ES
// modules import each other by plain relative URLs, so those cost a 304 per page load.
func (s *Screen) asset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/assets/")
	a, ok := s.assets.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", a.etag)
	if r.URL.Query().Get("v") == s.assets.digest {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", fmt.Sprint(len(a.body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(a.body)
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
