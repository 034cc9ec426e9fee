package teamsapp

import (
	"archive/zip"
	"fmt"
	"io"
	"sort"
	"time"
)

// Package is a built Teams app package.
type Package struct {
	// Manifest is manifest.json, also present in Files.
	Manifest []byte
	// Files holds every file of the package by its name at the zip root:
	// manifest.json, color.png, outline.png and fr.json.
	Files map[string][]byte
}

// Build validates c and builds the package. A *ConfigError lists every
// problem with c at once.
func Build(c Config) (*Package, error) {
	r, err := resolve(c)
	if err != nil {
		return nil, err
	}
	man, err := marshal(buildManifest(r))
	if err != nil {
		return nil, err
	}
	fr, err := marshal(frenchStrings())
	if err != nil {
		return nil, err
	}
	color, err := colorIcon(parseHexColor(r.AccentColor))
	if err != nil {
		return nil, err
	}
	outline, err := outlineIcon()
	if err != nil {
		return nil, err
	}
	return &Package{
		Manifest: man,
		Files:    map[string][]byte{ManifestFile: man, ColorIcon: color, OutlineIcon: outline, FrenchFile: fr},
	}, nil
}

// zipTime is every entry's modification time: a fixed instant, so the same
// configuration always yields the same zip bytes (and checksum).
var zipTime = time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC)

// Zip writes the package as Teams uploads it: every file at the root of the
// archive (Teams rejects a zip whose manifest sits in a folder), in name
// order, with fixed timestamps.
func (p *Package) Zip(w io.Writer) error {
	names := make([]string, 0, len(p.Files))
	for name := range p.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	zw := zip.NewWriter(w)
	for _, name := range names {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime}
		h.SetMode(0o644)
		f, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("teamsapp: zip %s: %w", name, err)
		}
		if _, err := f.Write(p.Files[name]); err != nil {
			return fmt.Errorf("teamsapp: zip %s: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("teamsapp: zip: %w", err)
	}
	return nil
}
