package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/discover"
	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/tr"
)

// signalContext ends on Ctrl-C, so an interrupted backup stops between safe steps.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

func testCmd(args []string, env *Env) int {
	pos, code, ok := parse(newFlags("test"), args, env)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(env, env.L("test needs exactly one account name"))
	}
	a, err := env.service().Get(pos[0])
	if err != nil {
		return fail(env, err)
	}
	ctx, cancel := signalContext()
	defer cancel()
	rep, err := env.service().Test(ctx, a, "")
	if err != nil {
		return fail(env, err)
	}
	fmt.Fprintln(env.Stdout, env.L("{{.Account}}: connected to {{.Addr}} and logged in ({{.Duration}}).",
		map[string]any{"Account": a.Name, "Addr": rep.Addr, "Duration": rep.Duration.Round(time.Millisecond)}))
	if rep.TLSVersion != "" {
		fmt.Fprintln(env.Stdout, env.L("Encryption: {{.TLS}}, certificate {{.Subject}} (SHA-256 {{.Fingerprint}})",
			map[string]any{"TLS": rep.TLSVersion, "Subject": rep.CertSubject, "Fingerprint": rep.CertSHA256}))
	} else {
		fmt.Fprintln(env.Stdout, env.L("Encryption: none (you allowed this explicitly)"))
	}
	fmt.Fprintln(env.Stdout, env.L("Server capabilities:"), strings.Join(rep.Capabilities, " "))
	for _, w := range rep.Warnings {
		fmt.Fprintln(env.Stdout, env.L("Warning:"), w)
	}
	return ExitOK
}

// backupJSON is one account's entry in `postfach backup --json`.
type backupJSON struct {
	Account    string                `json:"account"`
	AccountID  string                `json:"account_id"`
	BackupDir  string                `json:"backup_dir"`
	OK         bool                  `json:"ok"`
	New        int                   `json:"new"`
	AlreadyHad int                   `json:"already_had"`
	Restored   int                   `json:"restored"`
	Deleted    int                   `json:"deleted"`
	Failed     int                   `json:"failed"`
	Bytes      int64                 `json:"bytes"`
	DurationMS int64                 `json:"duration_ms"`
	Errors     []backup.MessageError `json:"message_errors,omitempty"`
	Error      string                `json:"error,omitempty"`
	// Kind classifies Error (backup.Kind), e.g. "reauth-required": a script can tell
	// "sign in again" from "try later" without reading the text.
	Kind backup.Kind `json:"kind,omitempty"`
}

func backupCmd(args []string, env *Env) int {
	fs := newFlags("backup")
	asJSON := fs.Bool("json", false, "")
	accts, code, ok := parseAccounts(fs, args, env, isPOP3)
	if !ok {
		return code
	}
	if len(accts) == 0 {
		fmt.Fprintln(env.Stderr, "postfach:", env.L("no POP3 account to back up"))
		return ExitFail
	}
	ctx, cancel := signalContext()
	defer cancel()
	exit := ExitOK
	out := []backupJSON{}
	for _, a := range accts {
		res, err := backupOne(ctx, env, a, !*asJSON)
		if err != nil {
			exit = ExitFail
		}
		if *asJSON {
			out = append(out, toJSON(a, res))
			continue
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "postfach: %s: %s\n", a.Name, env.explain(err))
			continue
		}
		printBackup(env, a.Name, res)
		if res.Failed > 0 {
			exit = ExitFail
		}
	}
	if *asJSON {
		printJSON(env.Stdout, out)
	}
	return exit
}

// printBackup prints one account's backup result for people.
func printBackup(env *Env, name string, res *backup.Result) {
	d := map[string]any{"Account": name, "Count": res.New, "Size": humanBytes(res.Bytes), "Had": res.AlreadyHad,
		"Deleted": res.Deleted, "Failed": res.Failed, "Duration": res.Duration.Round(time.Millisecond), "Dir": res.Dir}
	line := env.L("{{.Account}}: {{.Count}} new ({{.Size}}), {{.Had}} already backed up", d)
	if res.Restored > 0 {
		line += ", " + env.L("{{.Count}} restored from the server", map[string]any{"Count": res.Restored})
	}
	fmt.Fprintln(env.Stdout, line+", "+env.L("{{.Deleted}} deleted from the server, {{.Failed}} failed, in {{.Duration}} → {{.Dir}}", d))
	for _, me := range res.Errors {
		fmt.Fprintf(env.Stdout, "  %s %s %s\n", env.L("note:"), me.UIDL, me.Err)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(env.Stdout, "  %s %s\n", env.L("note:"), n)
	}
}

func backupOne(ctx context.Context, env *Env, a accounts.Account, show bool) (*backup.Result, error) {
	var progress func(backup.Progress)
	if show && env.Terminal {
		progress = progressPrinter(env, a.Name)
	}
	res, err := env.service().Backup(ctx, a.ID, progress)
	if progress != nil {
		fmt.Fprint(env.Stderr, "\r\033[K")
	}
	if res == nil { // the account vanished since it was listed
		res = &backup.Result{AccountID: a.ID, Account: a.Name, Err: err.Error()}
	}
	return res, err
}

// progressPrinter shows messages, bytes and rate on one terminal line.
func progressPrinter(env *Env, name string) func(backup.Progress) {
	start := time.Now()
	var last time.Time
	return func(p backup.Progress) {
		if p.Phase != backup.PhaseDownload || time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		rate := float64(p.Bytes) / time.Since(start).Seconds()
		fmt.Fprint(env.Stderr, "\r\033[K"+env.L("{{.Account}}: {{.Done}}/{{.Total}} messages, {{.Bytes}} of {{.TotalBytes}}, {{.Rate}}/s",
			map[string]any{"Account": name, "Done": p.Done, "Total": p.Total, "Bytes": humanBytes(p.Bytes),
				"TotalBytes": humanBytes(p.TotalBytes), "Rate": humanBytes(int64(rate))}))
	}
}

func toJSON(a accounts.Account, r *backup.Result) backupJSON {
	return backupJSON{
		Account: a.Name, AccountID: a.ID, BackupDir: r.Dir, OK: r.OK(), New: r.New, AlreadyHad: r.AlreadyHad,
		Restored: r.Restored, Deleted: r.Deleted, Failed: r.Failed, Bytes: r.Bytes, DurationMS: r.Duration.Milliseconds(),
		Errors: r.Errors, Error: r.Err, Kind: r.Kind,
	}
}

func verifyCmd(args []string, env *Env) int {
	fs := newFlags("verify")
	asJSON := fs.Bool("json", false, "")
	accts, code, ok := parseAccounts(fs, args, env, isPOP3)
	if !ok {
		return code
	}
	ctx, cancel := signalContext()
	defer cancel()
	type verifyJSON struct {
		*backup.VerifyReport
		Healthy bool   `json:"healthy"`
		Error   string `json:"error,omitempty"`
	}
	exit := ExitOK
	out := []verifyJSON{}
	for _, a := range accts {
		rep, err := env.service().Verify(ctx, a.ID)
		v := verifyJSON{VerifyReport: rep}
		if err != nil {
			v.Error = err.Error()
		}
		v.Healthy = err == nil && rep.Healthy()
		if !v.Healthy {
			exit = ExitFail
		}
		out = append(out, v)
		if *asJSON {
			continue
		}
		switch {
		case err != nil:
			fmt.Fprintf(env.Stderr, "postfach: %s: %s\n", a.Name, env.explain(err))
		case rep.Healthy():
			fmt.Fprintln(env.Stdout, env.N("{{.Account}}: all {{.Count}} messages present and unchanged in {{.Dir}}", rep.Checked,
				map[string]any{"Account": a.Name, "Count": rep.Checked, "Dir": rep.Dir}))
		default:
			fmt.Fprintln(env.Stdout, env.N("{{.Account}}: {{.OK}} of {{.Count}} messages OK; {{.Missing}} missing, {{.Changed}} changed in {{.Dir}}", rep.Checked,
				map[string]any{"Account": a.Name, "OK": rep.OK, "Count": rep.Checked, "Missing": len(rep.Missing), "Changed": len(rep.Changed), "Dir": rep.Dir}))
			if n := len(rep.Restorable); n > 0 {
				fmt.Fprintln(env.Stdout, "  "+env.L("{{.Count}} of them are still on the server: the next backup fetches them again.", map[string]any{"Count": n}))
			}
			if n := len(rep.Lost); n > 0 {
				fmt.Fprintln(env.Stdout, "  "+env.L("{{.Count}} are no longer on the server: this backup was their only copy. Check the drive.", map[string]any{"Count": n}))
			}
		}
	}
	if *asJSON {
		printJSON(env.Stdout, out)
	}
	return exit
}

// quotaJSON is one account's entry in `postfach quota --json`.
type quotaJSON struct {
	Account   string         `json:"account"`
	Supported bool           `json:"supported"`
	Resources []resourceJSON `json:"resources"`
	Folders   []imap.Folder  `json:"folders,omitempty"`
	Percent   *float64       `json:"storage_percent,omitempty"`
	// FullInDays is the forecast from the stored readings (service.QuotaForecast).
	FullInDays *float64 `json:"full_in_days,omitempty"`
	Error      string   `json:"error,omitempty"`
}

type resourceJSON struct {
	Root  string `json:"root"`
	Name  string `json:"name"`
	Usage int64  `json:"usage"` // bytes for STORAGE, a count otherwise
	Limit int64  `json:"limit"`
}

func quotaCmd(args []string, env *Env) int {
	fs := newFlags("quota")
	asJSON := fs.Bool("json", false, "")
	folders := fs.Bool("folders", false, "")
	accts, code, ok := parseAccounts(fs, args, env, isIMAP)
	if !ok {
		return code
	}
	if len(accts) == 0 {
		fmt.Fprintln(env.Stderr, "postfach:", env.L("no IMAP account"))
		return ExitFail
	}
	ctx, cancel := signalContext()
	defer cancel()
	exit := ExitOK
	out := []quotaJSON{}
	for _, a := range accts {
		q := quotaJSON{Account: a.Name, Resources: []resourceJSON{}}
		rep, err := env.service().Quota(ctx, a.ID, *folders)
		if err != nil {
			exit = ExitFail
			q.Error = err.Error()
			if !*asJSON {
				fmt.Fprintf(env.Stderr, "postfach: %s: %s\n", a.Name, env.explain(err))
			}
			out = append(out, q)
			continue
		}
		q.Supported, q.Folders = rep.Supported, rep.Folders
		for _, r := range rep.Roots {
			for _, res := range r.Resources {
				q.Resources = append(q.Resources, resourceJSON{Root: r.Name, Name: res.Name, Usage: res.Usage, Limit: res.Limit})
			}
		}
		if p, ok := rep.Percent(); ok {
			q.Percent = &p
		}
		if f, _ := env.service().QuotaForecast(a.ID); f != nil {
			q.FullInDays = &f.Days
		}
		out = append(out, q)
		if !*asJSON {
			printQuota(env, a, rep)
			printForecast(env, q.FullInDays)
		}
	}
	if *asJSON {
		printJSON(env.Stdout, out)
	}
	return exit
}

func printQuota(env *Env, a accounts.Account, rep *imap.Report) {
	used, limit, ok := rep.Storage()
	switch {
	case !rep.Supported:
		fmt.Fprintln(env.Stdout, env.L("{{.Account}}: quota unknown (the server does not report it)", map[string]any{"Account": a.Name}))
	case !ok:
		fmt.Fprintln(env.Stdout, env.L("{{.Account}}: no storage limit reported", map[string]any{"Account": a.Name}))
	default:
		pct := "?"
		if p, ok := rep.Percent(); ok {
			pct = fmt.Sprintf("%.1f %%", p)
		}
		fmt.Fprintln(env.Stdout, env.L("{{.Account}}: {{.Used}} of {{.Limit}} used ({{.Percent}})",
			map[string]any{"Account": a.Name, "Used": humanBytes(used), "Limit": humanBytes(limit), "Percent": pct}))
	}
	if len(rep.Folders) > 0 {
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		for _, f := range rep.Folders {
			size := "?"
			if f.Size >= 0 {
				size = humanBytes(f.Size)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Name, env.N("{{.Count}} messages", int(f.Messages), map[string]any{"Count": f.Messages}), size)
		}
		tw.Flush()
	}
}

func discoverCmd(args []string, env *Env) int {
	fs := newFlags("discover")
	asJSON := fs.Bool("json", false, "")
	pos, code, ok := parse(fs, args, env)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(env, env.L("discover needs exactly one e-mail address"))
	}
	ctx, cancel := signalContext()
	defer cancel()
	res, err := env.service().Discover(ctx, pos[0])
	if err != nil && res == nil {
		return fail(env, err)
	}
	if *asJSON {
		printJSON(env.Stdout, res)
	} else {
		printDiscovery(env, res)
	}
	if len(res.Candidates) == 0 {
		return ExitFail
	}
	return ExitOK
}

func printDiscovery(env *Env, res *discover.Result) {
	if len(res.Candidates) == 0 {
		fmt.Fprintln(env.Stdout, env.L("No server settings found for {{.Address}}.", map[string]any{"Address": res.Address}))
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, c := range res.Candidates {
		flag := ""
		if c.NeedsConfirmation {
			flag = "  ⚠ " + env.L("confirm:") + " " + tr.ConfirmText(env, c.ConfirmCodes, c.ConfirmReason)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s:%d\t%s\t%s\t%s%s\n", c.Rank, c.Protocol, c.Host, c.Port, c.Security,
			env.L("user {{.User}}", map[string]any{"User": c.Username}), env.L("from {{.Source}}", map[string]any{"Source": c.Source}), flag)
		for _, n := range c.Notes {
			fmt.Fprintf(tw, "\t\t%s %s\n", env.L("note:"), tr.NoteText(env, n))
		}
	}
	tw.Flush()
	fmt.Fprintln(env.Stdout, "\n"+env.L("Sources asked:"))
	for _, l := range res.Log {
		r := l.Result
		if l.Err != "" {
			r = l.Err
		}
		fmt.Fprintf(env.Stdout, "  %-12s %-60s %6.0f ms  %s\n", l.Source, l.Target, float64(l.Duration.Microseconds())/1000, r)
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
