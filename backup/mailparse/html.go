package mailparse

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText reduces an HTML part to its readable text: no markup, no scripts or styles,
// entities resolved, a line break for each block element.
func htmlToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0 // depth inside <script>, <style>, <head>
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyLines(b.String())
		case html.TextToken:
			if skip == 0 {
				b.WriteString(collapseSpace(string(z.Text())))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Title:
				if tt == html.EndTagToken && skip > 0 {
					skip--
				} else if tt == html.StartTagToken {
					skip++
				}
			case atom.Br, atom.P, atom.Div, atom.Tr, atom.Li, atom.H1, atom.H2, atom.H3,
				atom.H4, atom.H5, atom.H6, atom.Table, atom.Blockquote, atom.Pre, atom.Hr:
				b.WriteByte('\n')
			case atom.Td, atom.Th:
				b.WriteByte(' ')
			}
		}
	}
}

// collapseSpace turns runs of white space into one space, as a browser renders them.
func collapseSpace(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		if s != "" {
			return " "
		}
		return ""
	}
	out := strings.Join(f, " ")
	if strings.IndexAny(s[:1], " \t\r\n") == 0 {
		out = " " + out
	}
	if strings.IndexAny(s[len(s)-1:], " \t\r\n") == 0 {
		out += " "
	}
	return out
}

// tidyLines trims each line and keeps at most one empty line in a row.
func tidyLines(s string) string {
	var b strings.Builder
	empty := true
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			if !empty {
				b.WriteByte('\n')
			}
			empty = true
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
		empty = false
	}
	return strings.TrimSpace(b.String())
}
