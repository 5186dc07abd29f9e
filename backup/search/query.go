package search

import (
	"context"
	"path/filepath"
	"strings"
	"time"
	"unicode"
)

// Query selects messages. All given conditions must hold; the zero Query selects every
// message.
type Query struct {
	// Words must all occur, each in any field (sender, recipients, subject, attachment
	// names, body). "word*" matches words starting with "word"; "two words" in double
	// quotes must occur side by side. Case and accents do not matter (see the package doc).
	Words string
	// From keeps messages whose sender's name or address contains it (case-insensitive).
	From string
	// Since keeps messages dated at or after it, Before those dated before it; the zero
	// time leaves that end open.
	Since, Before time.Time
	// HasAttachment keeps messages with an attachment that is not inline.
	HasAttachment bool
	// Offset skips that many hits of the newest-first list; Limit caps the hits returned
	// (0 means DefaultLimit, negative means no cap). Together they page through a long
	// list: Result.Total says how long it is.
	Offset, Limit int
}

// DefaultLimit is the number of hits a Query without Limit returns.
const DefaultLimit = 100

// Hit is one message found. The JSON names are those of `postfach search --json`.
type Hit struct {
	ID        int64     `json:"id"`         // the entry's number in this index; stable until a rebuild
	MessageID string    `json:"message_id"` // Message-ID without angle brackets; may be empty
	Date      time.Time `json:"date"`       // Date header, or the delivery time when it has none
	From      string    `json:"from"`       // "Name <address>"
	Subject   string    `json:"subject"`
	Size      int64     `json:"size"` // bytes of the stored message
	File      string    `json:"file"` // absolute path of the stored message
	// Attachments counts the attachments that are not inline.
	Attachments int `json:"attachments"`
}

// Result is a page of hits, newest first, and how many hits there are in all.
type Result struct {
	Hits  []Hit
	Total int
}

// Search runs a query.
func (ix *Index) Search(ctx context.Context, q Query) (Result, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	where, args := q.where()
	var res Result
	count := "SELECT count(*) FROM msg" + where
	if q.onlyWords() {
		// No msg columns needed: count the matches in the FTS index alone.
		count = "SELECT count(*) FROM fts WHERE fts MATCH ?"
	}
	if err := ix.db.QueryRowContext(ctx, count, args...).Scan(&res.Total); err != nil {
		return res, wrap("search", err)
	}
	limit := q.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 0 {
		limit = -1 // SQLite: no limit
	}
	if res.Total == 0 || limit == 0 {
		return res, nil
	}
	// Many hits: walk the date index from the newest entry and stop after the page,
	// instead of fetching and sorting every hit (a common word: 90 ms -> a few ms on
	// 10,000 messages). Few hits: fetch them and sort, instead of walking every date.
	from := "msg"
	if res.Total > walkThreshold {
		from = "msg INDEXED BY msg_date"
	}
	rows, err := ix.db.QueryContext(ctx, `SELECT id, message_id, date, sender, subject, size, file,
		attachments FROM `+from+where+" ORDER BY date DESC, id DESC LIMIT ? OFFSET ?",
		append(args, limit, max(0, q.Offset))...)
	if err != nil {
		return res, wrap("search", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h Hit
		var date int64
		if err := rows.Scan(&h.ID, &h.MessageID, &date, &h.From, &h.Subject, &h.Size, &h.File, &h.Attachments); err != nil {
			return res, wrap("search", err)
		}
		h.Date = time.Unix(date, 0)
		h.File = filepath.Join(ix.root, filepath.FromSlash(h.File))
		res.Hits = append(res.Hits, h)
	}
	if err := rows.Err(); err != nil {
		return res, wrap("search", err)
	}
	return res, nil
}

// walkThreshold is the hit count above which Search walks the date index.
const walkThreshold = 500

// onlyWords reports whether the query has words and no other condition.
func (q Query) onlyWords() bool {
	return matchExpr(q.Words) != "" && strings.TrimSpace(q.From) == "" && q.Since.IsZero() &&
		q.Before.IsZero() && !q.HasAttachment
}

// where turns the query into a WHERE clause over msg and its arguments.
func (q Query) where() (string, []any) {
	var conds []string
	var args []any
	if m := matchExpr(q.Words); m != "" {
		conds = append(conds, "id IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
		args = append(args, m)
	} else if strings.TrimSpace(q.Words) != "" {
		conds = append(conds, "0") // only punctuation: no word can match
	}
	if f := strings.TrimSpace(q.From); f != "" {
		conds = append(conds, "instr(sender_key, ?) > 0")
		args = append(args, foldKey(f))
	}
	if !q.Since.IsZero() {
		conds = append(conds, "date >= ?")
		args = append(args, q.Since.Unix())
	}
	if !q.Before.IsZero() {
		conds = append(conds, "date < ?")
		args = append(args, q.Before.Unix())
	}
	if q.HasAttachment {
		conds = append(conds, "attachments > 0")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// matchExpr turns what a person typed into an FTS5 query: each word or "quoted phrase"
// becomes a quoted FTS5 string (so that FTS5 operators and punctuation in it are plain
// text), "*" at its end a prefix query, all of them joined by AND.
func matchExpr(words string) string {
	// FTS5 reads its query as a C string: a NUL would end it inside a quoted word.
	words = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, words)
	var parts []string
	for _, w := range splitWords(words) {
		prefix := strings.HasSuffix(w, "*")
		w = strings.TrimRight(w, "*")
		if !strings.ContainsFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			continue
		}
		p := `"` + strings.ReplaceAll(fold(w), `"`, `""`) + `"`
		if prefix {
			p += "*"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " AND ")
}

// splitWords splits at white space, keeping text in double quotes together.
func splitWords(s string) []string {
	var out []string
	for {
		s = strings.TrimSpace(s)
		if s == "" {
			return out
		}
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				out = append(out, s[1:])
				return out
			}
			out = append(out, s[1:end+1])
			s = s[end+2:]
			if strings.HasPrefix(s, "*") {
				out[len(out)-1] += "*"
				s = s[1:]
			}
			continue
		}
		end := strings.IndexFunc(s, unicode.IsSpace)
		if end < 0 {
			end = len(s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
}
