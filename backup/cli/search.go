package cli

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup/export"
	"github.com/postfach/postfach/backup/search"
	"github.com/postfach/postfach/backup/service"
)

// The search, export and index commands (issue 11): thin over service.Search, Export and
// Index, like the others.

// dateLayout is the form of --since and --before.
const dateLayout = "2006-01-02"

// queryFlags are the filters search and export share.
type queryFlags struct {
	from, since, before string
	attachment          bool
}

func (qf *queryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&qf.from, "from", "", "")
	fs.StringVar(&qf.since, "since", "", "")
	fs.StringVar(&qf.before, "before", "", "")
	fs.BoolVar(&qf.attachment, "attachment", false, "")
}

// query builds the query from the words and the flags. Dates are days in local time:
// --since 2024-03-01 starts at that midnight, --before 2024-04-01 ends before that one.
func (qf *queryFlags) query(env *Env, words []string) (search.Query, error) {
	q := search.Query{Words: strings.Join(words, " "), From: qf.from, HasAttachment: qf.attachment}
	for _, d := range []struct {
		flag, val string
		to        *time.Time
	}{{"--since", qf.since, &q.Since}, {"--before", qf.before, &q.Before}} {
		if d.val == "" {
			continue
		}
		t, err := time.ParseInLocation(dateLayout, d.val, time.Local)
		if err != nil {
			return q, errors.New(env.L("{{.Flag}} wants a date as YYYY-MM-DD, not {{.Value}}", map[string]any{"Flag": d.flag, "Value": strconv.Quote(d.val)}))
		}
		*d.to = t
	}
	return q, nil
}

// account resolves the NAME argument of search, export and index.
func account(env *Env, name string) (accounts.Account, error) { return env.service().Get(name) }

// indexProgress shows indexing on one terminal line; nil when Stderr is no terminal.
func indexProgress(env *Env, name string) (func(search.Progress), func()) {
	if !env.Terminal {
		return nil, func() {}
	}
	var last time.Time
	return func(p search.Progress) {
			if time.Since(last) < 200*time.Millisecond && p.Done != p.Total {
				return
			}
			last = time.Now()
			fmt.Fprint(env.Stderr, "\r\033[K"+env.L("{{.Account}}: indexing {{.Done}}/{{.Total}} messages", map[string]any{"Account": name, "Done": p.Done, "Total": p.Total}))
		}, func() {
			fmt.Fprint(env.Stderr, "\r\033[K")
		}
}

func searchCmd(args []string, env *Env) int {
	fs := newFlags("search")
	var qf queryFlags
	qf.register(fs)
	limit := fs.Int("limit", search.DefaultLimit, "")
	asJSON := fs.Bool("json", false, "")
	pos, code, ok := parse(fs, args, env)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		return usageError(env, env.L("search needs an account name"))
	}
	if *limit < 1 {
		return usageError(env, env.L("--limit must be at least 1"))
	}
	q, err := qf.query(env, pos[1:])
	if err != nil {
		return usageError(env, err.Error())
	}
	q.Limit = *limit
	a, err := account(env, pos[0])
	if err != nil {
		return fail(env, err)
	}
	ctx, cancel := signalContext()
	defer cancel()
	progress, done := indexProgress(env, a.Name)
	res, err := env.service().Search(ctx, a.ID, q, progress)
	done()
	if err != nil {
		return fail(env, err)
	}
	if *asJSON {
		hits := res.Hits
		if hits == nil {
			hits = []search.Hit{}
		}
		printJSON(env.Stdout, hits)
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	for _, h := range res.Hits {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Date.Local().Format("2006-01-02 15:04"), clip(h.From, 30), clip(h.Subject, 60), humanBytes(h.Size))
	}
	tw.Flush()
	if len(res.Hits) < res.Total {
		fmt.Fprintln(env.Stderr, env.N("{{.Shown}} of {{.Count}} messages shown (--limit).", res.Total, map[string]any{"Shown": len(res.Hits), "Count": res.Total}))
	} else {
		fmt.Fprintln(env.Stderr, env.N("{{.Count}} messages", res.Total, map[string]any{"Count": res.Total})+".")
	}
	return ExitOK
}

// clip shortens s to n runes for a table column.
func clip(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

func exportCmd(args []string, env *Env) int {
	fs := newFlags("export")
	var qf queryFlags
	qf.register(fs)
	to := fs.String("to", "", "")
	format := fs.String("format", "eml", "")
	pos, code, ok := parse(fs, args, env)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		return usageError(env, env.L("export needs an account name"))
	}
	if *to == "" {
		return usageError(env, env.L("export needs --to DIR"))
	}
	f, err := service.ParseFormat(*format)
	if err != nil {
		return usageError(env, env.L("unknown export format {{.Format}} (eml or mbox)", map[string]any{"Format": strconv.Quote(*format)}))
	}
	q, err := qf.query(env, pos[1:])
	if err != nil {
		return usageError(env, err.Error())
	}
	a, err := account(env, pos[0])
	if err != nil {
		return fail(env, err)
	}
	target := *to
	if f == service.FormatMbox {
		target = filepath.Join(*to, mboxName(a.Name))
	}
	ctx, cancel := signalContext()
	defer cancel()
	var progress func(export.Progress)
	if env.Terminal {
		progress = func(p export.Progress) {
			fmt.Fprint(env.Stderr, "\r\033[K"+env.L("{{.Account}}: exported {{.Done}}/{{.Total}} messages", map[string]any{"Account": a.Name, "Done": p.Done, "Total": p.Total}))
		}
	}
	st, err := env.service().Export(ctx, a.ID, target, f, q, progress)
	if progress != nil {
		fmt.Fprint(env.Stderr, "\r\033[K")
	}
	if err != nil {
		if st.Messages > 0 && f == service.FormatEML {
			fmt.Fprintln(env.Stderr, "postfach:", env.N("{{.Count}} messages were exported to {{.Dir}} before the export stopped.", st.Messages,
				map[string]any{"Count": st.Messages, "Dir": *to}))
		}
		return fail(env, err)
	}
	where := *to
	if f == service.FormatMbox {
		where = target
	}
	fmt.Fprintln(env.Stdout, env.N("{{.Account}}: {{.Count}} messages ({{.Size}}) exported as {{.Format}} to {{.Dir}}", st.Messages,
		map[string]any{"Account": a.Name, "Count": st.Messages, "Size": humanBytes(st.Bytes), "Format": f, "Dir": where}))
	return ExitOK
}

// mboxName is the file an mbox export writes into --to: the account's name and the day,
// so that a second export on another day does not collide.
func mboxName(account string) string {
	var b strings.Builder
	for _, r := range account {
		if strings.ContainsRune(`<>:"/\|?*`, r) || r < ' ' {
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String() + "-" + time.Now().Format(dateLayout) + ".mbox"
}

func indexCmd(args []string, env *Env) int {
	fs := newFlags("index")
	rebuild := fs.Bool("rebuild", false, "")
	pos, code, ok := parse(fs, args, env)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(env, env.L("index needs exactly one account name"))
	}
	a, err := account(env, pos[0])
	if err != nil {
		return fail(env, err)
	}
	ctx, cancel := signalContext()
	defer cancel()
	start := time.Now()
	progress, done := indexProgress(env, a.Name)
	st, err := env.service().Index(ctx, a.ID, *rebuild, progress)
	done()
	if err != nil {
		return fail(env, err)
	}
	fmt.Fprintln(env.Stdout, env.N("{{.Account}}: {{.Count}} messages indexed, {{.Added}} added, {{.Removed}} removed, {{.Moved}} moved, in {{.Duration}}", st.Total,
		map[string]any{"Account": a.Name, "Count": st.Total, "Added": st.Added, "Removed": st.Removed, "Moved": st.Moved,
			"Duration": time.Since(start).Round(time.Millisecond)}))
	if st.Damaged > 0 {
		fmt.Fprintln(env.Stdout, "  "+env.L("note:"), env.N("{{.Count}} messages could be read only in part; they are indexed as far as they could be read", st.Damaged,
			map[string]any{"Count": st.Damaged}))
	}
	if st.Skipped > 0 {
		fmt.Fprintln(env.Stdout, "  "+env.L("note:"), env.N("{{.Count}} files could not be read now; the next run tries them again", st.Skipped,
			map[string]any{"Count": st.Skipped}))
	}
	return ExitOK
}
