package governance

// Size resolves the page size of a listing: def when p.Limit is 0, else
// p.Limit if it is 1 to max. It also checks that the cursor is whole:
// Before and BeforeID come together from the previous page's Cursor.
//
// Errors: KindInvalid (page_limit_invalid, page_cursor_invalid).
func (p Page) Size(def, max int) (int, error) {
	limit := p.Limit
	if limit == 0 {
		limit = def
	}
	if limit < 1 || limit > max {
		return 0, Errorf(KindInvalid, "page_limit_invalid", "limit must be 1 to %d", max)
	}
	if p.Before.IsZero() != (p.BeforeID == "") {
		return 0, Errorf(KindInvalid, "page_cursor_invalid", "before and beforeId go together: pass both from the previous page's next")
	}
	return limit, nil
}
