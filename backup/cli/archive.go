package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/service"
)

// archiveJSON is the result of `postfach archive --json`.
type archiveJSON struct {
	Account string               `json:"account"`
	DryRun  bool                 `json:"dry_run"`
	Plan    *service.ArchivePlan `json:"plan,omitempty"`
	Deleted int                  `json:"deleted"`
	Freed   int64                `json:"freed"`
	Kept    int                  `json:"kept"`
	Before  int64                `json:"quota_used_before"`
	After   int64                `json:"quota_used_after"`
	Error   string               `json:"error,omitempty"`
	Kind    backup.Kind          `json:"kind,omitempty"`
	Folders []archiveFolderJSON  `json:"folders,omitempty"`
}

type archiveFolderJSON struct {
	Folder  string `json:"folder"`
	Deleted int    `json:"deleted"`
	Freed   int64  `json:"freed"`
	Kept    int    `json:"kept"`
}

// folderList collects a repeated --folder flag.
type folderList []string

func (f *folderList) String() string     { return strings.Join(*f, ",") }
func (f *folderList) Set(v string) error { *f = append(*f, v); return nil }

// archiveCmd moves chosen mail of an IMAP account into its archive folder and deletes
// it on the server only after the copy is verified.
func archiveCmd(args []string, env *Env) int {
	fs := newFlags("archive")
	var olderThan, largerThan, dir string
	var folders folderList
	var dryRun, asJSON bool
	fs.StringVar(&olderThan, "older-than", "", "")
	fs.StringVar(&largerThan, "larger-than", "", "")
	fs.Var(&folders, "folder", "")
	fs.StringVar(&dir, "archive-dir", "", "")
	fs.BoolVar(&dryRun, "dry-run", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	pos, code, ok := parse(fs, args, env)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(env, env.L("archive needs exactly one account name"))
	}
	choice := &service.ArchiveChoice{Folders: folders, Dir: dir}
	var err error
	if choice.OlderThan, err = ParseAge(olderThan); err != nil {
		return usageError(env, "archive: --older-than: "+env.L("{{.Value}} is not an age like 2y, 6m, 3w or 30d", map[string]any{"Value": strconv.Quote(olderThan)}))
	}
	if choice.LargerThan, err = ParseSize(largerThan); err != nil {
		return usageError(env, "archive: --larger-than: "+env.L("{{.Value}} is not a size like 10M, 500K or 1G", map[string]any{"Value": strconv.Quote(largerThan)}))
	}
	if choice.OlderThan == 0 && choice.LargerThan == 0 && len(folders) == 0 {
		return usageError(env, "archive: "+env.L("choose the mail to move with --older-than, --larger-than or --folder"))
	}
	a, err := env.service().Get(pos[0])
	if err != nil {
		return fail(env, err)
	}
	ctx, cancel := signalContext()
	defer cancel()
	out := archiveJSON{Account: a.Name, DryRun: dryRun, Before: -1, After: -1}
	if dryRun {
		out.Plan, err = env.service().PlanArchive(ctx, a.ID, choice)
		if out.Plan != nil {
			out.Before = out.Plan.Used
		}
	} else {
		if !asJSON {
			choice.Progress = copyProgress(env, a.Name)
		}
		var res *service.ArchiveResult
		res, err = env.service().Archive(ctx, a.ID, choice)
		if res != nil {
			out.Plan, out.Deleted, out.Freed, out.Kept, out.Before, out.After = res.Plan, res.Deleted, res.Freed, res.Kept, res.UsedBefore, res.UsedAfter
			for _, f := range res.Folders {
				out.Folders = append(out.Folders, archiveFolderJSON{Folder: f.Mailbox, Deleted: f.Deleted, Freed: f.Freed, Kept: len(f.Kept)})
			}
		}
	}
	if err != nil {
		out.Error, out.Kind = err.Error(), backup.KindOf(err)
	}
	if asJSON {
		printJSON(env.Stdout, out)
		if err != nil {
			return ExitFail
		}
		return ExitOK
	}
	if out.Plan != nil {
		printArchivePlan(env, &out)
	}
	if err != nil {
		return fail(env, err)
	}
	return ExitOK
}

func printArchivePlan(env *Env, o *archiveJSON) {
	w, p := env.Stdout, o.Plan
	if p.Used >= 0 && p.Limit > 0 {
		fmt.Fprintln(w, env.L("{{.Account}}: {{.Used}} of {{.Limit}} used.", map[string]any{"Account": o.Account, "Used": humanBytes(p.Used), "Limit": humanBytes(p.Limit)}))
	}
	fmt.Fprintf(w, "  %-30s %8s %10s %8s %10s\n", env.L("folder"), env.L("messages"), env.L("size"), env.L("chosen"), env.L("frees"))
	for _, f := range p.Folders {
		note := ""
		if f.ExcludedByDef {
			note = "  " + env.L("(drafts: left alone unless named with --folder)")
		}
		fmt.Fprintf(w, "  %-30s %8d %10s %8d %10s%s\n", f.Name, f.Messages, humanBytes(f.Bytes), f.Chosen, humanBytes(f.ChosenBytes), note)
	}
	for _, opt := range p.Options {
		d := map[string]any{"Years": int(opt.OlderThan.Hours() / 24 / 365), "Size": humanBytes(opt.LargerThan), "Count": opt.Messages, "Bytes": humanBytes(opt.Bytes)}
		if opt.LargerThan > 0 {
			fmt.Fprintln(w, env.N("Mail larger than {{.Size}} in these folders: {{.Count}} messages, {{.Bytes}}.", opt.Messages, d))
		} else {
			fmt.Fprintln(w, env.N("Mail older than {{.Years}} years in these folders: {{.Count}} messages, {{.Bytes}}.", opt.Messages, d))
		}
	}
	if o.DryRun {
		fmt.Fprintln(w, env.N("Your choice would move {{.Count}} messages ({{.Size}}) into {{.Dir}} and free that much on the server. Dry run: nothing was changed.", p.Messages,
			map[string]any{"Count": p.Messages, "Size": humanBytes(p.Bytes), "Dir": p.Dir}))
		return
	}
	fmt.Fprintln(w, env.N("Moved {{.Count}} messages into {{.Dir}}, each verified before it was deleted on the server; freed {{.Size}}.", o.Deleted,
		map[string]any{"Count": o.Deleted, "Dir": p.Dir, "Size": humanBytes(o.Freed)}))
	if o.Before >= 0 && o.After >= 0 {
		fmt.Fprintln(w, env.L("Quota used: {{.Before}} before, {{.After}} now.", map[string]any{"Before": humanBytes(o.Before), "After": humanBytes(o.After)}))
	}
	if o.Kept > 0 {
		fmt.Fprintln(w, env.N("{{.Count}} messages stayed on the server because their copy could not be verified.", o.Kept, map[string]any{"Count": o.Kept}))
	}
}

// printForecast prints the quota forecast, if there is one.
func printForecast(env *Env, days *float64) {
	if days != nil {
		fmt.Fprintln(env.Stdout, "  "+env.L("At the current rate the mailbox is full in about {{.Days}} days; \"postfach archive\" frees space.",
			map[string]any{"Days": fmt.Sprintf("%.0f", *days)}))
	}
}

// ParseAge parses an age such as "2y", "6m", "3w", "30d" (years of 365 days, months of
// 30); "" is zero.
func ParseAge(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	units := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'm': 30 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return 0, errors.New("empty age")
	}
	u, ok := units[s[len(s)-1]]
	n, err := strconv.Atoi(s[:len(s)-1])
	if !ok || err != nil || n <= 0 || time.Duration(n) > 200*365*24*time.Hour/u {
		return 0, fmt.Errorf("%q is not an age like 2y, 6m, 3w or 30d", s)
	}
	return time.Duration(n) * u, nil
}

// ParseSize parses a size such as "10M", "500K", "1G" or plain bytes (units of 1024);
// "" is zero.
func ParseSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t := strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), "B"), "b"))
	t = strings.TrimSuffix(t, "I")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("%q is not a size like 10M, 500K or 1G", s)
	}
	return n * mult, nil
}
