package gui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
)

// problemView lays a problem out: title, explanation, what to do, then extra (details,
// buttons) and last the technical message.
func problemView(p problem, extra ...fyne.CanvasObject) *fyne.Container {
	box := container.NewVBox(
		&widget.Label{Text: p.Title, TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance},
		&widget.Label{Text: p.Text, Wrapping: fyne.TextWrapWord},
	)
	if len(p.Hints) > 0 {
		hints := container.New(layout.NewCustomPaddedVBoxLayout(0),
			&widget.Label{Text: lang.L("What you can do:"), TextStyle: fyne.TextStyle{Bold: true}})
		for _, h := range p.Hints {
			hints.Add(&widget.Label{Text: "•  " + h, Wrapping: fyne.TextWrapWord})
		}
		box.Add(hints)
	}
	for _, e := range extra {
		box.Add(e)
	}
	if p.Detail != "" && p.Detail != p.Text {
		box.Add(&widget.Label{Text: lang.L("Technical details: {{.Detail}}", map[string]any{"Detail": p.Detail}),
			Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance, Selectable: true})
	}
	return box
}

// showProblem shows a problem in a dialog over the main window.
func (u *UI) showProblem(p problem) {
	d := dialog.NewCustom(p.Title, lang.L("Close"), sized(problemView(p), 520, 0), u.win)
	d.Show()
}

// sized gives dialog content a minimum width so that wrapped text does not collapse
// into a narrow column.
func sized(obj fyne.CanvasObject, w, h float32) fyne.CanvasObject {
	return container.NewStack(spacer(w, h), obj)
}

func spacer(w, h float32) fyne.CanvasObject {
	r := widget.NewLabel("")
	r.Hide()
	return container.NewGridWrap(fyne.NewSize(w, h), r)
}

// showVerify re-checks a backup folder in the background and reports the result.
func (u *UI) showVerify(id string) {
	st := u.status[id]
	if st == nil {
		return
	}
	acct := st.acct
	progress := dialog.NewCustomWithoutButtons(lang.L("Verifying the backup"),
		container.NewVBox(widget.NewLabel(lang.L("Reading every message in the backup folder and comparing it with the index…")),
			widget.NewProgressBarInfinite()), u.win)
	progress.Show()
	u.async(func() {
		rep, err := u.core.Verify(u.ctx, id)
		fyne.Do(func() {
			progress.Hide()
			if err != nil {
				u.showProblem(explain(err, acct, nil))
				return
			}
			var body *fyne.Container
			if rep.OK() {
				body = container.NewVBox(&widget.Label{Importance: widget.SuccessImportance, Wrapping: fyne.TextWrapWord,
					Text: lang.N("All {{.Count}} messages in the backup are complete and unchanged.", rep.Checked, map[string]any{"Count": rep.Checked})})
			} else {
				body = container.NewVBox(
					&widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord, Text: lang.L(
						"Checked {{.Checked}} messages: {{.Missing}} missing, {{.Changed}} changed.",
						map[string]any{"Checked": rep.Checked, "Missing": len(rep.Missing), "Changed": len(rep.Changed)})})
				if n := len(rep.Restorable); n > 0 {
					body.Add(&widget.Label{Wrapping: fyne.TextWrapWord, Text: lang.L(
						"{{.Count}} of them are still on the server: the next backup fetches them again.", map[string]any{"Count": n})})
				}
				if n := len(rep.Lost); n > 0 {
					body.Add(&widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord, Text: lang.L(
						"{{.Count}} are no longer on the server: this backup was their only copy. Check the drive.", map[string]any{"Count": n})})
				}
				body.Add(&widget.Label{Importance: widget.LowImportance, Wrapping: fyne.TextWrapWord, Selectable: true,
					Text: strings.Join(append(slices.Clone(rep.Missing), rep.Changed...), "\n")})
			}
			dialog.NewCustom(lang.L("Backup verified"), lang.L("Close"), sized(body, 480, 0), u.win).Show()
		})
	})
}

// showHistory lists an account's backup runs, newest first.
func (u *UI) showHistory(id string) {
	st := u.status[id]
	if st == nil {
		return
	}
	runs := slices.Clone(st.history)
	slices.Reverse(runs)
	var content fyne.CanvasObject
	if len(runs) == 0 {
		content = widget.NewLabel(lang.L("No backup has run yet."))
	} else {
		now := u.now()
		list := widget.NewList(
			func() int { return len(runs) },
			func() fyne.CanvasObject {
				return container.NewVBox(&widget.Label{TextStyle: fyne.TextStyle{Bold: true}},
					&widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance})
			},
			func(i widget.ListItemID, o fyne.CanvasObject) {
				r := runs[i]
				box := o.(*fyne.Container)
				head, body := box.Objects[0].(*widget.Label), box.Objects[1].(*widget.Label)
				if r.OK() {
					head.Importance = widget.MediumImportance
					head.SetText(lang.L("{{.When}}: successful", map[string]any{"When": formatWhen(r.Started, now)}))
					body.SetText(lang.L("{{.New}}, {{.Deleted}} removed from the server, {{.Size}}, took {{.Duration}}",
						map[string]any{"New": newMessages(r.New), "Deleted": r.Deleted, "Size": formatBytes(r.Bytes),
							"Duration": r.Duration.Round(1e9).String()}))
				} else {
					head.Importance = widget.DangerImportance
					head.SetText(lang.L("{{.When}}: failed", map[string]any{"When": formatWhen(r.Started, now)}))
					body.SetText(explain(r.Failure(), st.acct, nil).summary())
				}
				head.Refresh()
			})
		content = list
	}
	d := dialog.NewCustom(lang.L("Backup history of {{.Account}}", map[string]any{"Account": st.acct.Name}),
		lang.L("Close"), content, u.win)
	d.Resize(fyne.NewSize(600, 460))
	d.Show()
}

// checkQuotaNow refreshes one account's quota on request.
func (u *UI) checkQuotaNow(id string) {
	st := u.status[id]
	if st == nil || st.quotaLoading {
		return
	}
	st.quotaLoading = true
	u.overview.refreshCard(id)
	acct := st.acct
	u.async(func() {
		q, err := u.core.Quota(u.ctx, id, false)
		fyne.Do(func() { u.setQuota(acct, q, err) })
	})
}

// showFolders reads and shows the size of every folder, largest first.
func (u *UI) showFolders(id string) {
	st := u.status[id]
	if st == nil {
		return
	}
	acct := st.acct
	wait := dialog.NewCustomWithoutButtons(lang.L("Folder sizes"),
		container.NewVBox(widget.NewLabel(lang.L("Asking the server for the size of each folder…")), widget.NewProgressBarInfinite()), u.win)
	wait.Show()
	u.async(func() {
		q, err := u.core.Quota(u.ctx, id, true)
		fyne.Do(func() {
			wait.Hide()
			if err != nil {
				u.showProblem(explain(err, acct, nil))
				return
			}
			u.setQuota(acct, q, nil)
			folders := slices.Clone(q.Folders)
			slices.SortFunc(folders, func(a, b FolderUsage) int { return cmp.Compare(b.Size, a.Size) })
			table := widget.NewTableWithHeaders(
				func() (int, int) { return len(folders), 3 },
				func() fyne.CanvasObject { return widget.NewLabel("") },
				func(c widget.TableCellID, o fyne.CanvasObject) {
					f := folders[c.Row]
					l := o.(*widget.Label)
					l.Alignment = fyne.TextAlignTrailing
					switch c.Col {
					case 0:
						l.Alignment = fyne.TextAlignLeading
						l.SetText(f.Name)
					case 1:
						l.SetText(fmt.Sprint(f.Messages))
					case 2:
						if f.Size < 0 {
							l.SetText("?")
						} else {
							l.SetText(formatBytes(f.Size))
						}
					}
				})
			table.ShowHeaderColumn = false
			table.CreateHeader = func() fyne.CanvasObject { return &widget.Label{TextStyle: fyne.TextStyle{Bold: true}} }
			table.UpdateHeader = func(c widget.TableCellID, o fyne.CanvasObject) {
				o.(*widget.Label).SetText([]string{lang.L("Folder"), lang.L("Messages"), lang.L("Size")}[c.Col])
			}
			table.SetColumnWidth(0, 300)
			table.SetColumnWidth(1, 100)
			table.SetColumnWidth(2, 110)
			d := dialog.NewCustom(lang.L("Folder sizes of {{.Account}}", map[string]any{"Account": acct.Name}), lang.L("Close"), table, u.win)
			d.Resize(fyne.NewSize(580, 480))
			d.Show()
		})
	})
}

// showRemove asks how to remove an account: keep the backup folder (default yes: it is
// the user's mail) and the keyring entry (default no: nothing uses it any more).
func (u *UI) showRemove(id string) {
	st := u.status[id]
	if st == nil {
		return
	}
	acct := st.acct
	keepBackup := widget.NewCheck(lang.L("Keep the backup folder with the saved mail (recommended)"), nil)
	keepBackup.SetChecked(true)
	keepPassword := widget.NewCheck(lang.L("Keep the password in the system keyring"), nil)
	body := container.NewVBox(&widget.Label{Wrapping: fyne.TextWrapWord, Text: lang.L(
		"Postfach stops looking after {{.Account}} ({{.Email}}). Nothing changes on the mail server.",
		map[string]any{"Account": acct.Name, "Email": acct.Email})})
	if acct.Protocol == accounts.POP3 && acct.Backup != nil {
		body.Add(keepBackup)
		body.Add(&widget.Label{Text: acct.Backup.Dir, Importance: widget.LowImportance, Wrapping: fyne.TextWrapWord})
	}
	body.Add(keepPassword)
	d := dialog.NewCustomConfirm(lang.L("Remove {{.Account}}?", map[string]any{"Account": acct.Name}),
		lang.L("Remove"), lang.L("Cancel"), sized(body, 480, 0), func(ok bool) {
			if !ok {
				return
			}
			if !keepBackup.Checked && acct.Backup != nil {
				dialog.NewConfirm(lang.L("Delete the saved mail?"), lang.L(
					"The backup folder {{.Dir}} and all mail in it will be deleted. Mail that is no longer on the server is then gone for good.",
					map[string]any{"Dir": acct.Backup.Dir}), func(sure bool) {
					if sure {
						u.removeAccount(acct, false, keepPassword.Checked)
					}
				}, u.win).Show()
				return
			}
			u.removeAccount(acct, true, keepPassword.Checked)
		}, u.win)
	d.Show()
}

func (u *UI) removeAccount(acct accounts.Account, keepBackup, keepPassword bool) {
	u.async(func() {
		err := u.core.RemoveAccount(u.ctx, acct.ID, keepBackup, keepPassword)
		fyne.Do(func() {
			if err != nil {
				u.showProblem(explain(err, acct, nil))
			}
			u.reload(false)
		})
	})
}
