package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"sync"
)

// The OpenAPI document is openapi.json (info, security, shared schemas and the
// foundation's paths) plus one fragment per capability in openapi/*.json, each
// {"paths": {...}, "components": {"schemas": {...}}}. Fragments keep each
// capability's API description beside its handlers; OpenAPI merges them and
// refuses a path, method or schema described twice.
//
//go:embed openapi.json openapi
var openapiFS embed.FS

var openapiDoc = sync.OnceValues(func() ([]byte, error) { return mergeOpenAPI(openapiFS) })

// OpenAPI returns the merged OpenAPI document served at /api/openapi.json.
func OpenAPI() ([]byte, error) { return openapiDoc() }

func mergeOpenAPI(fsys fs.FS) ([]byte, error) {
	base, err := fs.ReadFile(fsys, "openapi.json")
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	paths, _ := doc["paths"].(map[string]any)
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	if paths == nil || schemas == nil {
		return nil, fmt.Errorf("openapi.json: needs paths and components.schemas")
	}
	names, err := fs.Glob(fsys, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var frag struct {
			Paths      map[string]map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(b, &frag); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for p, ops := range frag.Paths {
			have, _ := paths[p].(map[string]any)
			if have == nil {
				have = map[string]any{}
				paths[p] = have
			}
			for m, op := range ops {
				if _, dup := have[m]; dup {
					return nil, fmt.Errorf("%s: %s %s is described twice", name, m, p)
				}
				have[m] = op
			}
		}
		for n, sch := range frag.Components.Schemas {
			if _, dup := schemas[n]; dup {
				return nil, fmt.Errorf("%s: schema %s is described twice", name, n)
			}
			schemas[n] = sch
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}
