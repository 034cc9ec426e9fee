package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// page is an OData collection page.
type page struct {
	Value     []json.RawMessage `json:"value"`
	NextLink  string            `json:"@odata.nextLink"`
	DeltaLink string            `json:"@odata.deltaLink"`
}

// maxPages bounds a listing, so a server that keeps sending nextLinks
// cannot keep a worker forever.
const maxPages = 10000

// List reads every page of a collection (following @odata.nextLink) and
// decodes each item into T.
func List[T any](ctx context.Context, c *Client, tenantID, path string, query url.Values) ([]T, error) {
	var out []T
	req := Request{Method: http.MethodGet, Path: path, Query: query}
	for range maxPages {
		resp, err := c.Do(ctx, tenantID, req)
		if err != nil {
			return nil, err
		}
		var p page
		if err := resp.Decode(&p); err != nil {
			return nil, err
		}
		for _, raw := range p.Value {
			var v T
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, fmt.Errorf("graph: decode %s item: %w", path, err)
			}
			out = append(out, v)
		}
		if p.NextLink == "" {
			return out, nil
		}
		req = Request{Method: http.MethodGet, Path: p.NextLink}
	}
	return nil, fmt.Errorf("graph: %s: more than %d pages", path, maxPages)
}

// DeltaPage is one round of a delta query: the changes since the last
// round, and the link that asks for the next changes.
type DeltaPage struct {
	Items     []json.RawMessage
	DeltaLink string
}

// Delta runs a delta query to its end: from path (the first round, e.g.
// "/groups/delta") or from a deltaLink saved after the previous round,
// following nextLinks until Graph hands out a new deltaLink. A 410 Gone
// (the saved link expired) is returned as an *Error: start over from path.
func (c *Client) Delta(ctx context.Context, tenantID, pathOrLink string, query url.Values) (DeltaPage, error) {
	var out DeltaPage
	req := Request{Method: http.MethodGet, Path: pathOrLink, Query: query}
	for range maxPages {
		resp, err := c.Do(ctx, tenantID, req)
		if err != nil {
			return DeltaPage{}, err
		}
		var p page
		if err := resp.Decode(&p); err != nil {
			return DeltaPage{}, err
		}
		out.Items = append(out.Items, p.Value...)
		if p.DeltaLink != "" {
			out.DeltaLink = p.DeltaLink
			return out, nil
		}
		if p.NextLink == "" {
			return DeltaPage{}, fmt.Errorf("graph: delta %s: a page with neither nextLink nor deltaLink", pathOrLink)
		}
		req = Request{Method: http.MethodGet, Path: p.NextLink}
	}
	return DeltaPage{}, fmt.Errorf("graph: delta %s: more than %d pages", pathOrLink, maxPages)
}
