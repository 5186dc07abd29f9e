package cli

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup/service"
	"github.com/postfach/postfach/backup/tr"
)

func accountAdd(args []string, env *Env) int {
	fs := newFlags("account add")
	var a accounts.Account
	var proto, security, schedule, backupDir string
	var pwStdin, keepForever, deleteNow bool
	keepDays := -1
	fs.StringVar(&a.Name, "name", "", "")
	fs.StringVar(&a.Email, "email", "", "")
	fs.StringVar(&proto, "protocol", "", "")
	fs.StringVar(&a.Host, "host", "", "")
	fs.IntVar(&a.Port, "port", 0, "")
	fs.StringVar(&security, "security", "tls", "")
	fs.StringVar(&a.Username, "username", "", "")
	fs.BoolVar(&pwStdin, "password-stdin", false, "")
	fs.StringVar(&backupDir, "backup-dir", "", "")
	fs.StringVar(&schedule, "schedule", accounts.DefaultSchedule().String(), "")
	fs.IntVar(&keepDays, "keep-days", -1, "")
	fs.BoolVar(&keepForever, "keep-forever", false, "")
	fs.BoolVar(&deleteNow, "delete-after-backup", false, "")
	fs.StringVar(&a.PinnedSHA256, "trust-fingerprint", "", "")
	fs.BoolVar(&a.AllowPlaintext, "allow-plaintext", false, "")
	var auth string
	var asJSON bool
	fs.StringVar(&auth, "auth", string(accounts.AuthPassword), "")
	fs.StringVar(&a.OAuthProvider, "oauth-provider", "", "")
	fs.StringVar(&a.OAuthClientID, "oauth-client-id", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	pos, code, ok := parse(fs, args, env)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(env, "account add: "+env.L("unexpected argument {{.Arg}}", map[string]any{"Arg": strconv.Quote(pos[0])}))
	}
	switch a.Auth = accounts.AuthMethod(auth); {
	case a.Auth == accounts.AuthOAuth2 && pwStdin:
		return usageError(env, "account add: "+env.L("--password-stdin is for password accounts; with --auth oauth2 you sign in in the browser"))
	case a.Auth == accounts.AuthOAuth2 && a.OAuthProvider == "":
		return usageError(env, "account add: "+env.L("--auth oauth2 needs --oauth-provider microsoft, google or an https issuer URL (\"postfach discover ADDRESS\" names it)"))
	case a.Auth == accounts.AuthOAuth2:
	case a.Auth != accounts.AuthPassword:
		return usageError(env, "account add: "+env.L("unknown --auth {{.Auth}} (use password or oauth2)", map[string]any{"Auth": strconv.Quote(auth)}))
	case a.OAuthProvider != "" || a.OAuthClientID != "":
		return usageError(env, "account add: "+env.L("--oauth-provider and --oauth-client-id need --auth oauth2"))
	case !pwStdin:
		return usageError(env, "account add: "+env.L("give the password on standard input with --password-stdin (never as an argument: other users can read a process's arguments)"))
	default:
		a.Auth = "" // the default method, written as before so that older builds read the config
	}
	a.Protocol, a.Security = accounts.Protocol(proto), accounts.Security(security)
	n := 0
	for _, set := range []bool{keepDays >= 0, keepForever, deleteNow} {
		if set {
			n++
		}
	}
	if n > 1 {
		return usageError(env, "account add: "+env.L("use only one of --keep-days, --keep-forever, --delete-after-backup"))
	}
	if a.Protocol == accounts.POP3 {
		if backupDir == "" {
			return usageError(env, "account add: "+env.L("a POP3 account needs --backup-dir"))
		}
		sc, err := accounts.ParseSchedule(schedule)
		if err != nil {
			return usageError(env, "account add: "+err.Error())
		}
		ret := accounts.DefaultRetention()
		switch {
		case keepForever:
			ret = accounts.Retention{Mode: accounts.KeepForever}
		case deleteNow:
			ret = accounts.Retention{Mode: accounts.DeleteNow}
		case keepDays >= 0:
			ret = accounts.Retention{Mode: accounts.DeleteAfter, Days: keepDays}
		}
		a.Backup = &accounts.BackupPolicy{Dir: backupDir, Schedule: sc, Retention: ret}
	} else if backupDir != "" || n > 0 {
		return usageError(env, "account add: "+env.L("backup options are for POP3 accounts"))
	}
	if a.Security == accounts.None {
		fmt.Fprintln(env.Stderr, "postfach:", env.L("warning: this account uses no encryption; the password and all mail cross the network readable"))
	}
	var added accounts.Account
	if a.Auth == accounts.AuthOAuth2 {
		var err error
		if added, err = addOAuth2(a, env); err != nil {
			return fail(env, err)
		}
	} else {
		pw, err := readPassword(env)
		if err != nil {
			return usageError(env, "account add: "+err.Error())
		}
		if added, err = env.service().Add(context.Background(), a, pw); err != nil {
			return fail(env, err)
		}
	}
	if asJSON {
		printJSON(env.Stdout, added)
		return ExitOK
	}
	fmt.Fprintln(env.Stdout, env.L("Added {{.Protocol}} account {{.Name}} ({{.Email}}).",
		map[string]any{"Protocol": added.Protocol, "Name": strconv.Quote(added.Name), "Email": added.Email}))
	if added.Backup != nil {
		// The schedule is printed as --schedule takes it, so it stays in English.
		fmt.Fprintln(env.Stdout, env.L("Backups: {{.Schedule}} into {{.Dir}}, {{.Retention}}.",
			map[string]any{"Schedule": added.Backup.Schedule, "Dir": added.Backup.Dir, "Retention": tr.RetentionText(env, added.Backup.Retention)}))
		if same, known := service.OnSystemDisk(added.Backup.Dir); same && known {
			fmt.Fprintln(env.Stderr, "postfach:", env.L("warning: the backup folder is on the system disk; if that disk fails, the backup fails with it. A second drive is safer."))
		}
	}
	fmt.Fprintln(env.Stdout, env.L("Test it with:"), "postfach test "+strconv.Quote(added.Name))
	return ExitOK
}

func accountList(args []string, env *Env) int {
	fs := newFlags("account list")
	asJSON := fs.Bool("json", false, "")
	if _, code, ok := parse(fs, args, env); !ok {
		return code
	}
	all, err := env.Store.List()
	if err != nil {
		return fail(env, err)
	}
	if *asJSON {
		if all == nil {
			all = []accounts.Account{}
		}
		printJSON(env.Stdout, all)
		return ExitOK
	}
	if len(all) == 0 {
		fmt.Fprintln(env.Stdout, env.L("No accounts yet. Add one with \"postfach account add\" or in the desktop app."))
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, env.L("NAME\tADDRESS\tPROTOCOL\tSERVER\tBACKUP"))
	for _, a := range all {
		b := "-"
		if a.Backup != nil {
			b = a.Backup.Schedule.String() + " → " + a.Backup.Dir
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%s)\t%s\n", a.Name, a.Email, a.Protocol, a.Addr(), a.Security, b)
	}
	tw.Flush()
	return ExitOK
}

func accountRemove(args []string, env *Env) int {
	fs := newFlags("account remove")
	keepPW := fs.Bool("keep-password", false, "")
	pos, code, ok := parse(fs, args, env)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(env, env.L("account remove needs exactly one account name"))
	}
	r, err := env.service().Remove(context.Background(), pos[0], service.RemoveOptions{KeepPassword: *keepPW})
	if err != nil {
		return fail(env, err)
	}
	a := r.Account
	if r.PasswordErr != nil {
		fmt.Fprintln(env.Stderr, "postfach:", env.L("the account is removed, but its password could not be deleted from the keyring:"), env.explain(r.PasswordErr))
	}
	if r.RevokeErr != nil {
		fmt.Fprintln(env.Stderr, "postfach:", env.L("the account is removed, but the provider could not be asked to end its sign-in; remove Postfach's access in your account settings there:"), env.explain(r.RevokeErr))
	}
	if r.HistoryErr != nil {
		fmt.Fprintln(env.Stderr, "postfach:", env.L("the account is removed, but its backup history could not be deleted:"), r.HistoryErr)
	}
	fmt.Fprintln(env.Stdout, env.L("Removed account {{.Name}}.", map[string]any{"Name": strconv.Quote(a.Name)}))
	if a.Backup != nil {
		fmt.Fprintln(env.Stdout, env.L("The backup folder {{.Dir}} was left as it is.", map[string]any{"Dir": a.Backup.Dir}))
	}
	return ExitOK
}
