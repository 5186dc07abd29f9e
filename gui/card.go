package gui

import (
	"image/color"
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/tr"
)

// accountCard shows one account on the overview: name, address and protocol, then for
// POP3 the backup status and its actions, for IMAP the mailbox quota.
type accountCard struct {
	u  *UI
	id string

	name    *widget.Label
	email   *widget.Label
	badge   *canvas.Text
	badgeBg *canvas.Rectangle
	edit    *widget.Button
	remove  *widget.Button
	// signInAgain is shown while an OAuth2 account must sign in again (reauth.go).
	signInAgain *widget.Button

	// POP3
	lastRun      *widget.Label
	problem      *widget.Label
	next         *widget.Label
	policy       *widget.Label
	progress     *widget.ProgressBar
	progressText *widget.Label
	progressRow  *fyne.Container
	backupNow    *widget.Button
	openFolder   *widget.Button
	verify       *widget.Button
	history      *widget.Button
	browse       *widget.Button
	pop3Body     *fyne.Container

	// IMAP
	quota        *quotaBar
	quotaText    *widget.Label
	quotaChecked *widget.Label
	folders      *widget.Button
	checkQuota   *widget.Button
	freeSpace    *widget.Button
	imapBody     *fyne.Container

	obj fyne.CanvasObject
}

var (
	pop3Colour = color.NRGBA{0x1f, 0x8a, 0x70, 0xff} // teal: mail comes home
	imapColour = color.NRGBA{0x2f, 0x6f, 0xd6, 0xff} // blue: mail stays on the server
)

func newAccountCard(u *UI, id string) *accountCard {
	c := &accountCard{u: u, id: id}
	c.buildUI()
	return c
}

func (c *accountCard) buildUI() {
	c.name = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText}
	c.email = &widget.Label{Importance: widget.LowImportance, Truncation: fyne.TextTruncateEllipsis}
	c.badge = canvas.NewText("", color.White)
	c.badge.TextStyle = fyne.TextStyle{Bold: true}
	c.badge.TextSize = theme.CaptionTextSize()
	c.badgeBg = &canvas.Rectangle{CornerRadius: 4}
	badge := container.NewStack(c.badgeBg, container.New(layout.NewCustomPaddedLayout(1, 1, 6, 6), c.badge))
	c.edit = &widget.Button{Text: lang.L("Edit"), Icon: theme.DocumentCreateIcon(), Importance: widget.LowImportance, OnTapped: c.onEdit}
	c.remove = &widget.Button{Text: lang.L("Remove"), Icon: theme.DeleteIcon(), Importance: widget.LowImportance, OnTapped: c.onRemove}
	header := container.NewBorder(nil, nil, nil, container.NewHBox(c.edit, c.remove),
		container.NewHBox(c.name, container.NewCenter(badge)))

	c.lastRun = &widget.Label{Wrapping: fyne.TextWrapWord}
	c.problem = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	c.next = &widget.Label{Wrapping: fyne.TextWrapWord}
	c.policy = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance}
	c.progress = widget.NewProgressBar()
	c.progressText = &widget.Label{Importance: widget.LowImportance}
	c.progressRow = container.NewVBox(c.progress, c.progressText)
	c.backupNow = &widget.Button{Text: lang.L("Back up now"), Icon: theme.DownloadIcon(), Importance: widget.HighImportance, OnTapped: c.onBackupNow}
	c.openFolder = &widget.Button{Text: lang.L("Open backup folder"), Icon: theme.FolderOpenIcon(), OnTapped: c.onOpenFolder}
	c.verify = &widget.Button{Text: lang.L("Verify backup"), Icon: theme.ConfirmIcon(), OnTapped: c.onVerify}
	c.history = &widget.Button{Text: lang.L("History"), Icon: theme.HistoryIcon(), OnTapped: c.onHistory}
	c.browse = &widget.Button{Text: lang.L("Browse backup"), Icon: theme.SearchIcon(), OnTapped: c.onBrowse}
	c.pop3Body = container.NewVBox(c.lastRun, c.problem, c.next, c.policy, c.progressRow,
		container.NewHBox(c.backupNow, c.browse, c.openFolder, c.verify, c.history))

	c.quota = newQuotaBar()
	c.quotaText = &widget.Label{Wrapping: fyne.TextWrapWord}
	c.quotaChecked = &widget.Label{Importance: widget.LowImportance}
	c.folders = &widget.Button{Text: lang.L("Folder sizes"), Icon: theme.FolderIcon(), OnTapped: c.onFolders}
	c.checkQuota = &widget.Button{Text: lang.L("Check now"), Icon: theme.ViewRefreshIcon(), OnTapped: c.onCheckQuota}
	c.freeSpace = &widget.Button{Text: lang.L("Free up space…"), Icon: theme.StorageIcon(), Importance: widget.WarningImportance, OnTapped: c.onFreeSpace}
	c.freeSpace.Hide()
	c.imapBody = container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel(lang.L("Mailbox storage")), nil, c.quota.over),
		c.quotaText, container.NewHBox(c.freeSpace),
		container.NewBorder(nil, nil, nil, container.NewHBox(c.folders, c.checkQuota), c.quotaChecked))

	c.signInAgain = &widget.Button{Text: lang.L("Sign in again"), Icon: theme.LoginIcon(), Importance: widget.HighImportance, OnTapped: c.onSignInAgain}
	c.signInAgain.Hide()
	card := widget.NewCard("", "", container.NewVBox(
		container.New(layout.NewCustomPaddedVBoxLayout(0), header, c.email),
		widget.NewSeparator(),
		c.pop3Body, c.imapBody, container.NewHBox(c.signInAgain)))
	c.obj = card
}

// update shows st.
func (c *accountCard) update(st *accountStatus) {
	a := st.acct
	now := c.u.now()
	c.name.SetText(a.Name)
	c.email.SetText(a.Email)
	c.badge.Text = protocolName(a.Protocol)
	c.badgeBg.FillColor = imapColour
	if a.Protocol == accounts.POP3 {
		c.badgeBg.FillColor = pop3Colour
	}
	c.badge.Refresh()
	c.badgeBg.Refresh()
	c.updateSignIn(st)

	if a.Protocol != accounts.POP3 || a.Backup == nil {
		c.pop3Body.Hide()
		c.imapBody.Show()
		c.updateQuota(st)
		return
	}
	c.imapBody.Hide()
	c.pop3Body.Show()

	// Last run.
	c.problem.Hide()
	switch {
	case st.last == nil:
		c.lastRun.SetText(lang.L("Last backup: none yet"))
		c.lastRun.Importance = widget.MediumImportance
	case st.last.OK():
		data := map[string]any{"When": formatWhen(st.last.Started, now), "New": newMessages(st.last.New), "Size": formatBytes(st.last.Bytes)}
		c.lastRun.SetText(lang.L("Last backup: {{.When}}, successful: {{.New}} ({{.Size}})", data))
		c.lastRun.Importance = widget.SuccessImportance
		if st.last.Failed > 0 {
			c.problem.SetText(lang.N("{{.Count}} messages could not be saved; they stay on the server and are tried again next time.",
				st.last.Failed, map[string]any{"Count": st.last.Failed}))
			c.problem.Show()
		}
	default:
		c.lastRun.SetText(lang.L("Last backup: {{.When}}, failed", map[string]any{"When": formatWhen(st.last.Started, now)}))
		c.lastRun.Importance = widget.DangerImportance
		err := st.lastErr
		if err == nil {
			err = st.last.Failure()
		}
		p := explain(err, a, nil)
		c.problem.SetText(p.summary())
		c.problem.Show()
	}
	if st.overdue && (st.last == nil || st.last.OK()) {
		c.problem.SetText(lang.L("No successful backup for longer than planned."))
		c.problem.Show()
	}
	c.lastRun.Refresh()

	// Only a folder a run has written to can be browsed.
	if st.last == nil {
		c.browse.Disable()
	} else {
		c.browse.Enable()
	}

	// Next run and policy.
	if next := c.u.sched.NextRun(a, st.lastOK); next.IsZero() {
		c.next.SetText(lang.L("Next backup: only when you click “Back up now”"))
	} else {
		c.next.SetText(lang.L("Next backup: {{.When}} ({{.Schedule}})",
			map[string]any{"When": formatWhen(next, now), "Schedule": describeSchedule(a.Backup.Schedule)}))
	}
	c.policy.SetText(lang.L("Saved to {{.Dir}}; mail is {{.Retention}}.",
		map[string]any{"Dir": a.Backup.Dir, "Retention": tr.RetentionText(fyneText{}, a.Backup.Retention)}))

	// Progress.
	queued := !st.running && c.u.sched.Queued(a.ID)
	switch {
	case st.running:
		c.progressRow.Show()
		c.progress.SetValue(progressValue(st.progress))
		c.progressText.SetText(progressText(st.progress))
		c.backupNow.Disable()
	case queued:
		c.progressRow.Show()
		c.progress.SetValue(0)
		c.progressText.SetText(lang.L("Waiting for the other backups to finish…"))
		c.backupNow.Disable()
	default:
		c.progressRow.Hide()
		c.backupNow.Enable()
	}
}

func (c *accountCard) updateQuota(st *accountStatus) {
	q := st.quota
	switch {
	case st.quotaLoading && q == nil:
		c.quota.over.Hide()
		c.quotaText.SetText(lang.L("Checking…"))
	case q == nil && st.quotaErr != nil:
		c.quota.over.Hide()
		c.quotaText.SetText(lang.L("Could not check: {{.Problem}}", map[string]any{"Problem": explain(st.quotaErr, st.acct, nil).Title}))
	case q == nil:
		c.quota.over.Hide()
		c.quotaText.SetText(lang.L("Not checked yet."))
	case !q.Supported:
		c.quota.over.Hide()
		c.quotaText.SetText(lang.L("Unknown: this server does not report how full the mailbox is."))
	default:
		pct, ok := q.Percent()
		if !ok {
			c.quota.over.Hide()
			c.quotaText.SetText(lang.L("{{.Used}} used, no limit reported.", map[string]any{"Used": formatBytes(q.Used)}))
			break
		}
		c.quota.over.Show()
		c.quota.set(pct)
		data := map[string]any{"Used": formatBytes(q.Used), "Limit": formatBytes(q.Limit)}
		text := lang.L("{{.Used}} of {{.Limit}} used.", data)
		c.quotaText.Importance = widget.MediumImportance
		switch levelOf(pct) {
		case quotaFull:
			text += " " + lang.L("Almost full: new mail will soon bounce back to the senders. Delete or archive mail now.")
			c.quotaText.Importance = widget.DangerImportance
		case quotaHigh:
			text += " " + lang.L("Filling up: delete or archive old mail before it is full.")
			c.quotaText.Importance = widget.WarningImportance
		}
		if q.FullInDays > 0 {
			text += " " + fullInText(q.FullInDays)
		}
		c.quotaText.SetText(text)
	}
	c.updateFreeSpace(st)
	if q != nil && !q.Checked.IsZero() {
		c.quotaChecked.SetText(lang.L("Checked {{.When}}", map[string]any{"When": formatWhen(q.Checked, c.u.now())}))
	} else {
		c.quotaChecked.SetText("")
	}
	if st.quotaLoading {
		c.checkQuota.Disable()
	} else {
		c.checkQuota.Enable()
	}
	if q != nil && q.Supported {
		c.folders.Enable()
	} else {
		c.folders.Disable()
	}
}

func progressValue(p backup.Progress) float64 {
	switch {
	case p.TotalBytes > 0:
		return float64(p.Bytes) / float64(p.TotalBytes)
	case p.Total > 0:
		return float64(p.Done) / float64(p.Total)
	}
	return 0
}

func progressText(p backup.Progress) string {
	switch p.Phase {
	case backup.PhaseConnect:
		return lang.L("Connecting…")
	case backup.PhaseList:
		return lang.L("Looking for new mail…")
	case backup.PhaseDelete:
		return lang.L("Removing old mail from the server as set…")
	case backup.PhaseDone:
		return lang.L("Finishing…")
	}
	return lang.L("Saving message {{.Done}} of {{.Total}} ({{.Bytes}} of {{.TotalBytes}})", map[string]any{
		"Done": p.Done, "Total": p.Total, "Bytes": formatBytes(p.Bytes), "TotalBytes": formatBytes(p.TotalBytes)})
}

func (c *accountCard) account() (accounts.Account, bool) {
	st := c.u.status[c.id]
	if st == nil {
		return accounts.Account{}, false
	}
	return st.acct, true
}

func (c *accountCard) onBackupNow() {
	c.u.sched.BackupNow(c.id)
	c.u.overview.refreshCard(c.id)
}

func (c *accountCard) onOpenFolder() {
	a, ok := c.account()
	if !ok || a.Backup == nil {
		return
	}
	link, err := url.Parse(storage.NewFileURI(a.Backup.Dir).String())
	if err == nil {
		if err = c.u.openURL(link); err == nil {
			return
		}
	}
	c.u.showProblem(explain(err, a, nil))
}

func (c *accountCard) onVerify()     { c.u.showVerify(c.id) }
func (c *accountCard) onHistory()    { c.u.showHistory(c.id) }
func (c *accountCard) onBrowse()     { c.u.showBrowser(c.id) }
func (c *accountCard) onFolders()    { c.u.showFolders(c.id) }
func (c *accountCard) onEdit()       { c.u.showEdit(c.id) }
func (c *accountCard) onRemove()     { c.u.showRemove(c.id) }
func (c *accountCard) onCheckQuota() { c.u.checkQuotaNow(c.id) }
