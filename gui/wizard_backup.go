package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
)

// backupStep sets up the backup of a POP3 account: folder, schedule, server retention.
type backupStep struct {
	w      *wizard
	form   *backupForm
	filled string // the address the default folder was proposed for
	obj    fyne.CanvasObject
}

func newBackupStep(w *wizard) *backupStep {
	s := &backupStep{w: w}
	s.form = newBackupForm(w.u, func() fyne.Window { return w.u.win })
	intro := &widget.Label{Wrapping: fyne.TextWrapWord, Text: lang.L(
		"Postfach copies every new mail into a folder as a standard mail folder (Maildir) that other mail programs can open too. Nothing is removed from the server before its copy is safely on disk and checked.")}
	s.obj = container.NewVBox(intro, s.form.content())
	return s
}

func (s *backupStep) title() string              { return lang.L("Backup of your mail") }
func (s *backupStep) content() fyne.CanvasObject { return s.obj }

func (s *backupStep) enter() {
	email := s.w.address.email()
	if s.filled != email {
		s.filled = email
		s.form.set(accounts.BackupPolicy{
			Dir:       s.w.u.core.DefaultBackupDir(email),
			Schedule:  accounts.DefaultSchedule(),
			Retention: accounts.DefaultRetention(),
		})
	}
	a := s.w.decision.answers
	s.form.otherDevices = a.devices == manyDevices || a.shared == sharedAddress
	s.form.updateRetention()
}

func (s *backupStep) ready() bool {
	_, err := s.form.policy()
	return err == nil
}
