package cli

import (
	"errors"
	"fmt"

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
		return usageError(env, env.L("switch needs exactly one account name"))
	}
	if to != string(accounts.IMAP) && to != string(accounts.POP3) {
		return usageError(env, "switch: "+env.L("--to imap or --to pop3"))
	}
	tg.Security = accounts.Security(security)
	ret, err := retentionFlags(env, keepDays, keepForever, deleteNow)
	if err != nil {
		return usageError(env, "switch: "+err.Error())
	}
	a, err := env.service().Get(pos[0])
	if err != nil {
		return fail(env, err)
	}
	if a.Protocol == accounts.Protocol(to) {
		return usageError(env, "switch: "+env.L("{{.Account}} is already a {{.Protocol}} account", map[string]any{"Account": a.Name, "Protocol": a.Protocol}))
	}
	if to == string(accounts.IMAP) && (backupDir != "" || ret.Mode != "") {
		return usageError(env, "switch: "+env.L("backup options are for --to pop3"))
	}
	if pwStdin {
		if tg.Password, err = readPassword(env); err != nil {
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
func retentionFlags(env *Env, keepDays int, keepForever, deleteNow bool) (accounts.Retention, error) {
	n := 0
	for _, set := range []bool{keepDays >= 0, keepForever, deleteNow} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return accounts.Retention{}, errors.New(env.L("use only one of --keep-days, --keep-forever, --delete-after-backup"))
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
		fmt.Fprintln(w, env.L("{{.Account}}: POP3 → IMAP, from the backup in {{.Dir}}.", map[string]any{"Account": o.Account, "Dir": o.Dir}))
		if o.Backup != nil {
			fmt.Fprintln(w, env.L("Last backup (mail kept on the server): {{.Count}} new.", map[string]any{"Count": o.Backup.New}))
		}
		fmt.Fprintln(w, env.N("To upload: {{.Count}} messages, {{.Size}}; already there: {{.Done}}.", o.Messages,
			map[string]any{"Count": o.Messages, "Size": humanBytes(o.Bytes), "Done": o.AlreadyDone}))
		if o.QuotaFree != nil {
			fits := env.L("does NOT fit")
			if o.Fits {
				fits = env.L("fits")
			}
			fmt.Fprintln(w, env.L("Free on the server: {{.Size}} — {{.Fits}}.", map[string]any{"Size": humanBytes(*o.QuotaFree), "Fits": fits}))
		}
		if o.Largest > 0 {
			limit := env.L("no limit announced")
			if o.AppendLimit > 0 {
				limit = env.L("server limit {{.Size}}", map[string]any{"Size": humanBytes(o.AppendLimit)})
			}
			fmt.Fprintln(w, env.L("Largest message: {{.Size}} ({{.Limit}}).", map[string]any{"Size": humanBytes(o.Largest), "Limit": limit}))
		}
		for _, f := range o.TooBig {
			fmt.Fprintln(w, env.L("Too big for the server:"), f)
		}
		for _, f := range o.Empty {
			fmt.Fprintln(w, env.L("Empty file, cannot be stored over IMAP:"), f)
		}
	} else {
		fmt.Fprintln(w, env.L("{{.Account}}: IMAP → POP3, all folders into {{.Dir}}.", map[string]any{"Account": o.Account, "Dir": service.CopyDir(o.Dir)}))
		fmt.Fprintln(w, env.L("Note: your other devices, and everyone who shares this address, see only the mail that stays on the server."))
		for _, f := range o.Folders {
			fmt.Fprintf(w, "  %-30s %16s  %10s\n", f.Name, env.N("{{.Count}} messages", f.Messages, map[string]any{"Count": f.Messages}), humanBytes(f.Bytes))
		}
		fmt.Fprintln(w, env.N("In all: {{.Count}} messages, {{.Size}}.", o.Messages, map[string]any{"Count": o.Messages, "Size": humanBytes(o.Bytes)}))
	}
	if o.DryRun {
		fmt.Fprintln(w, env.L("Dry run: nothing was changed."))
		return
	}
	if o.To == accounts.IMAP {
		fmt.Fprintln(w, env.L("Uploaded {{.Uploaded}}, already there {{.Adopted}}, left {{.Remaining}}; {{.Verified}} verified on the server.",
			map[string]any{"Uploaded": o.Uploaded, "Adopted": o.Adopted, "Remaining": o.Remaining, "Verified": o.Verified}))
	} else {
		fmt.Fprintln(w, env.N("{{.Count}} messages verified in the copy.", o.Verified, map[string]any{"Count": o.Verified}))
	}
	for _, s := range o.Skipped {
		fmt.Fprintln(w, env.L("Not uploaded: {{.File}} ({{.Error}})", map[string]any{"File": s.File, "Error": s.Error}))
	}
	switch {
	case !o.Switched:
		fmt.Fprintln(w, env.L("The account was not switched. Run the same command again to continue; nothing is copied twice."))
	case o.To == accounts.IMAP:
		fmt.Fprintln(w, env.L("{{.Account}} is now an IMAP account. The old mail stays where it was; Postfach never deletes it.", map[string]any{"Account": o.Account}))
	default:
		fmt.Fprintln(w, env.L("{{.Account}} is now a POP3 account. The old mail stays where it was; Postfach never deletes it.", map[string]any{"Account": o.Account}))
	}
}

// copyProgress prints a live progress line on a terminal.
func copyProgress(env *Env, name string) func(imapcopy.Progress) {
	if !env.Terminal {
		return nil
	}
	return func(p imapcopy.Progress) {
		fmt.Fprint(env.Stderr, "\r"+env.L("{{.Account}}: {{.Folder}} {{.Done}}/{{.Total}} messages, {{.Bytes}}/{{.TotalBytes}}",
			map[string]any{"Account": name, "Folder": p.Folder, "Done": p.Done, "Total": p.Total, "Bytes": humanBytes(p.Bytes), "TotalBytes": humanBytes(p.TotalBytes)})+"   ")
		if p.Done == p.Total {
			fmt.Fprintln(env.Stderr)
		}
	}
}
