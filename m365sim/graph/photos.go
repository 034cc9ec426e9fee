package graph

import (
	"io"
	"mime"
	"net/http"
	"strconv"
)

// maxPhotoSize is the largest photo Graph accepts ("The size of the photo
// you can update to is limited to 4 MB", Update profilePhoto).
const maxPhotoSize = 4 << 20

// photo is a group's profile photo as uploaded.
type photo struct {
	contentType string
	data        []byte
}

// photoKey names a group's photo in Graph.photos.
func photoKey(tid, id string) string { return tid + "/" + id }

// putGroupPhoto stores a group's photo (PUT or PATCH
// /groups/{id}/photo/$value, raw JPEG or PNG bytes); Graph answers 200 with
// no body.
func (g *Graph) putGroupPhoto(c *call) error {
	id := c.r.PathValue("id")
	if _, err := g.group(c, id); err != nil {
		return err
	}
	mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || (mt != "image/jpeg" && mt != "image/png") {
		return errf(http.StatusBadRequest, "ErrorInvalidImage", "The photo must be a JPEG or PNG image (Content-Type image/jpeg or image/png).")
	}
	data, err := io.ReadAll(io.LimitReader(c.r.Body, maxPhotoSize+1))
	if err != nil {
		return errDirBadRequest("The request body could not be read.")
	}
	switch {
	case len(data) > maxPhotoSize:
		return errf(http.StatusRequestEntityTooLarge, "ErrorRequestEntityTooLarge", "The photo is larger than 4 MB.")
	case len(data) == 0:
		return errf(http.StatusBadRequest, "ErrorInvalidImage", "The photo is empty.")
	}
	g.mu.Lock()
	if g.photos == nil {
		g.photos = map[string]photo{}
	}
	g.photos[photoKey(c.tid, id)] = photo{contentType: mt, data: data}
	g.mu.Unlock()
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// getGroupPhoto returns a group's photo bytes (GET
// /groups/{id}/photo/$value), 404 ImageNotFound when it has none.
func (g *Graph) getGroupPhoto(c *call) error {
	id := c.r.PathValue("id")
	if _, err := g.group(c, id); err != nil {
		return err
	}
	p, ok := g.groupPhoto(c.tid, id)
	if !ok {
		return errf(http.StatusNotFound, "ImageNotFound", "The photo wasn't found.")
	}
	c.w.Header().Set("Content-Type", p.contentType)
	c.w.Header().Set("Content-Length", strconv.Itoa(len(p.data)))
	_, _ = c.w.Write(p.data)
	return nil
}

func (g *Graph) groupPhoto(tenantID, groupID string) (photo, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, ok := g.photos[photoKey(tenantID, groupID)]
	return p, ok
}

// GroupPhoto returns the content type and bytes of the photo uploaded for
// a group, for tests.
func (g *Graph) GroupPhoto(tenantID, groupID string) (string, []byte, bool) {
	p, ok := g.groupPhoto(tenantID, groupID)
	return p.contentType, p.data, ok
}
