package cli

import (
	"fmt"
	"strings"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/imapcopy"
	"github.com/postfach/postfach/backup/service"
)

// switchJSON is the result of `postfach switch --json`.
type switchJSON struct {
	Account  string            `json:"account"`
	From     accounts.Protocol `json:"from"`
	To       accounts.Protocol `json:"to"`
	DryRun   bool              `json:"dry_run"`
	Messages int               `json:"messages"`
	Bytes    int64             `json:"bytes"`
	Fits     bool              `json:"fits"`
	// Upload plan details (POP3 → IMAP).
	AlreadyDone int      `json:"already_done,omitempty"`
	Largest     int64    `json:"largest,omitempty"`
	AppendLimit int64    `json:"append_limit,omitempty"`
	QuotaFree   *int64   `json:"quota_free,omitempty"`
	TooBig      []string `json:"too_big,omitempty"`
	Empty       []string `json:"empty,omitempty"`
	// Folders of an IMAP → POP3 switch.
	Folders  []service.FolderSize `json:"folders,omitempty"`
	Uploaded int                  `json:"uploaded"`
	Adopted  int                  `json:"adopted"`
	Skipped  []skippedJSON        `json:"skipped,omitempty"`
	// Remaining were not attempted because the run stopped.
	Remaining int            `json:"remaining"`
	Verified  int            `json:"verified"`
	Switched  bool           `json:"switched"`
	Dir       string         `json:"dir,omitempty"`
	Error     string         `json:"error,omitempty"`
	Kind      backup.Kind    `json:"kind,omitempty"`
	Backup    *backup.Result `json:"last_backup,omitempty"`
}

type skippedJSON struct {
	File  string `json:"file"`
	Size  int64  `json:"size"`
	Error string `json:"error"`
}

// switchCmd moves an account's mail to the other protocol and switches it; exit 0 only
// when every message is verified at its destination (or, with --dry-run, when the plan
// fits).
func switchCmd(args []string, env *Env) int {
	fs := newFlags("switch")
	var to, security, backupDir string
	var pwStdin, dryRun, asJSON, keepForever, deleteNow bool
	var tg service.Target
	keepDays := -1
	fs.StringVar(&to, "to", "", "")
	fs.StringVar(&tg.Host, "host", "", "")
	fs.IntVar(&tg.Port, "port", 0, "")
	fs.StringVar(&security, "security", "", "")
	fs.StringVar(&tg.Username, "username", "", "")
	fs.BoolVar(&pwStdin, "password-stdin", false, "")
	fs.StringVar(&tg.PinnedSHA256, "trust-fingerprint", "", "")
	fs.BoolVar(&tg.AllowPlaintext, "allow-plaintext", false, "")
	fs.StringVar(&backupDir, "backup-dir", "", "")
	fs.IntVar(&keepDays, "keep-days", -1, "")
	fs.BoolVar(&keepForever, "keep-forever", false, "")
	fs.BoolVar(&deleteNow, "delete-after-backup", false, "")
	fs.BoolVar(&dryRun, "dry-run", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	pos, code, ok := parse(fs, args, env)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(env, "switch needs exactly one account name")
	}
	if to != string(accounts.IMAP) && to != string(accounts.POP3) {
		return usageError(env, "switch: --to imap or --to pop3")
	}
	tg.Security = accounts.Security(security)
	ret, err := retentionFlags(keepDays, keepForever, deleteNow)
	if err != nil {
		return usageError(env, "switch: "+err.Error())
	}
	a, err := env.service().Get(pos[0])
	if err != nil {
		return fail(env, err)
	}
	if a.Protocol == accounts.Protocol(to) {
		return usageError(env, fmt.Sprintf("switch: %s is already a %s account", a.Name, a.Protocol))
	}
	if to == string(accounts.IMAP) && (backupDir != "" || ret.Mode != "") {
		return usageError(env, "switch: backup options are for --to pop3")
	}
	if pwStdin {
		if tg.Password, err = readPassword(env.Stdin); err != nil {
			return usageError(env, "switch: "+err.Error())
		}
	}
	ctx, cancel := signalContext()
	defer cancel()
	opts := &service.SwitchOptions{Target: tg, Dir: backupDir, Retention: ret, Reason: "postfach switch"}
	out := switchJSON{Account: a.Name, From: a.Protocol, To: accounts.Protocol(to), DryRun: dryRun}
	var plan *service.SwitchPlan
	if dryRun {
		plan, err = env.service().PlanSwitch(ctx, a.ID, opts)
		if err == nil && !plan.Fits {
			err = fmt.Errorf("switch %s: %w", a.Name, imapcopy.ErrWontFit)
		}
	} else {
		if !asJSON {
			opts.Progress = copyProgress(env, a.Name)
		}
		var res *service.SwitchResult
		res, err = env.service().Switch(ctx, a.ID, opts)
		if res != nil {
			plan = res.Plan
			fillSwitchResult(&out, res)
		}
	}
	fillSwitchPlan(&out, plan)
	if err != nil {
		out.Error, out.Kind = err.Error(), backup.KindOf(err)
	}
	if asJSON {
		printJSON(env.Stdout, out)
	} else {
		printSwitch(env, &out)
	}
	if err != nil {
		if !asJSON {
			return fail(env, err)
		}
		return ExitFail
	}
	return ExitOK
}

// retentionFlags turns the retention flags into a policy; none given is the zero value.
func retentionFlags(keepDays int, keepForever, deleteNow bool) (accounts.Retention, error) {
	n := 0
	for _, set := range []bool{keepDays >= 0, keepForever, deleteNow} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return accounts.Retention{}, fmt.Errorf("use only one of --keep-days, --keep-forever, --delete-after-backup")
	case keepForever:
		return accounts.Retention{Mode: accounts.KeepForever}, nil
	case deleteNow:
		return accounts.Retention{Mode: accounts.DeleteNow}, nil
	case keepDays >= 0:
		r := accounts.Retention{Mode: accounts.DeleteAfter, Days: keepDays}
		return r, r.Validate()
	}
	return accounts.Retention{}, nil
}

func fillSwitchPlan(out *switchJSON, plan *service.SwitchPlan) {
	if plan == nil {
		return
	}
	out.Messages, out.Bytes, out.Fits, out.Folders, out.Dir, out.Backup = plan.Messages, plan.Bytes, plan.Fits, plan.Folders, plan.Dir, plan.Backup
	if up := plan.Upload; up != nil {
		out.AlreadyDone = up.AlreadyUploaded + up.AlreadyOnServer + up.Duplicates
		out.Largest, out.AppendLimit, out.TooBig, out.Empty = up.Largest, up.AppendLimit, up.TooBig, up.Empty
		if up.QuotaFree >= 0 {
			free := up.QuotaFree
			out.QuotaFree = &free
		}
	}
}

func fillSwitchResult(out *switchJSON, res *service.SwitchResult) {
	out.Switched, out.Verified = res.Switched, res.Verified
	if up := res.Upload; up != nil {
		out.Uploaded, out.Adopted, out.Remaining, out.Verified = up.Uploaded, up.Adopted, up.Remaining, up.Verified
		for _, s := range up.Skipped {
			out.Skipped = append(out.Skipped, skippedJSON{File: s.File, Size: s.Size, Error: s.Err.Error()})
		}
	}
}

func printSwitch(env *Env, o *switchJSON) {
	w := env.Stdout
	if o.To == accounts.IMAP {
		fmt.Fprintf(w, "%s: POP3 → IMAP, from the backup in %s.\n", o.Account, o.Dir)
		if o.Backup != nil {
			fmt.Fprintf(w, "Last backup (mail kept on the server): %d new.\n", o.Backup.New)
		}
		fmt.Fprintf(w, "To upload: %d messages, %s; already there: %d.\n", o.Messages, humanBytes(o.Bytes), o.AlreadyDone)
		if o.QuotaFree != nil {
			fmt.Fprintf(w, "Free on the server: %s — %s.\n", humanBytes(*o.QuotaFree), map[bool]string{true: "fits", false: "does NOT fit"}[o.Fits])
		}
		if o.Largest > 0 {
			limit := "no limit announced"
			if o.AppendLimit > 0 {
				limit = "server limit " + humanBytes(o.AppendLimit)
			}
			fmt.Fprintf(w, "Largest message: %s (%s).\n", humanBytes(o.Largest), limit)
		}
		for _, f := range o.TooBig {
			fmt.Fprintf(w, "Too big for the server: %s\n", f)
		}
		for _, f := range o.Empty {
			fmt.Fprintf(w, "Empty file, cannot be stored over IMAP: %s\n", f)
		}
	} else {
		fmt.Fprintf(w, "%s: IMAP → POP3, all folders into %s.\n", o.Account, service.CopyDir(o.Dir))
		fmt.Fprintln(w, "Note: your other devices, and everyone who shares this address, see only the mail that stays on the server.")
		for _, f := range o.Folders {
			fmt.Fprintf(w, "  %-30s %6d messages  %10s\n", f.Name, f.Messages, humanBytes(f.Bytes))
		}
		fmt.Fprintf(w, "In all: %d messages, %s.\n", o.Messages, humanBytes(o.Bytes))
	}
	if o.DryRun {
		fmt.Fprintln(w, "Dry run: nothing was changed.")
		return
	}
	if o.To == accounts.IMAP {
		fmt.Fprintf(w, "Uploaded %d, already there %d, left %d; %d verified on the server.\n", o.Uploaded, o.Adopted, o.Remaining, o.Verified)
	} else {
		fmt.Fprintf(w, "%d messages verified in the copy.\n", o.Verified)
	}
	for _, s := range o.Skipped {
		fmt.Fprintf(w, "Not uploaded: %s (%s)\n", s.File, s.Error)
	}
	if o.Switched {
		article := "a"
		if o.To == accounts.IMAP {
			article = "an"
		}
		fmt.Fprintf(w, "%s is now %s %s account. The old mail stays where it was; Postfach never deletes it.\n",
			o.Account, article, strings.ToUpper(string(o.To)))
	} else {
		fmt.Fprintln(w, "The account was not switched. Run the same command again to continue; nothing is copied twice.")
	}
}

// copyProgress prints a live progress line on a terminal.
func copyProgress(env *Env, name string) func(imapcopy.Progress) {
	if !env.Terminal {
		return nil
	}
	return func(p imapcopy.Progress) {
		fmt.Fprintf(env.Stderr, "\r%s: %s %d/%d messages, %s/%s   ", name, p.Folder, p.Done, p.Total, humanBytes(p.Bytes), humanBytes(p.TotalBytes))
		if p.Done == p.Total {
			fmt.Fprintln(env.Stderr)
		}
	}
}
