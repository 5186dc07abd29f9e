package gui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
)

// answer is a reply to one of the decision questions; "" means not answered.
type answer string

// The replies the recommendation looks at.
const (
	oneDevice     answer = "one"
	manyDevices   answer = "many"
	onlyMe        answer = "me"
	sharedAddress answer = "shared"
	roomy         answer = "roomy"
	tight         answer = "tight"
)

// answers are the user's replies to the three questions.
type answers struct {
	devices, shared, storage answer
}

// recommend turns the answers into a recommendation and its reason. ok is false until
// the answers given are enough to recommend anything.
func recommend(a answers) (p accounts.Protocol, reason string, ok bool) {
	switch {
	case a.shared == sharedAddress:
		return accounts.IMAP, lang.L("Several people read this address. Only with IMAP does everyone see that a mail was already answered, so nothing is answered twice or left lying."), true
	case a.devices == manyDevices && a.storage == tight:
		return accounts.IMAP, lang.L("You read this address on several devices, and only IMAP keeps them in step. Because the server space is small, keep an eye on the mailbox meter and archive old mail now and then."), true
	case a.devices == manyDevices:
		return accounts.IMAP, lang.L("You read this address on several devices. With IMAP they all show the same mail, folders and read marks."), true
	case a.devices == oneDevice && a.shared == onlyMe && a.storage == tight:
		return accounts.POP3, lang.L("Only you read this address, only on this PC, and the server has little space. POP3 brings the mail here and keeps the server empty; Postfach keeps a backup of it in a folder you choose."), true
	case a.devices == oneDevice && a.shared == onlyMe && a.storage == roomy:
		return accounts.IMAP, lang.L("Both would work. IMAP is the safer choice: nothing is lost if this PC breaks, and you can add a phone later. Choose POP3 if you want to hold your mail yourself."), true
	}
	return "", "", false
}

// decisionStep is the heart of the wizard: POP3 and IMAP side by side in plain words,
// three questions that lead to a recommendation, the warning that switching later is
// hard, and the user's own deliberate click. Nothing is preselected.
type decisionStep struct {
	w *wizard

	devices *widget.RadioGroup
	shared  *widget.RadioGroup
	storage *widget.RadioGroup
	answers answers

	recommendation *widget.Label
	imapBadge      *widget.Label
	pop3Badge      *widget.Label
	chooseIMAP     *widget.Button
	choosePOP3     *widget.Button
	chosen         *widget.Label

	protocol accounts.Protocol // "" until the user clicks one of the buttons
	chosenAt time.Time

	obj fyne.CanvasObject
}

func newDecisionStep(w *wizard) *decisionStep {
	s := &decisionStep{w: w}
	s.buildUI()
	return s
}

func (s *decisionStep) buildUI() {
	intro := &widget.Label{Wrapping: fyne.TextWrapWord, Text: lang.L(
		"Mail programs fetch mail in one of two ways. The choice decides where your mail lives, so please read both sides. Three questions below lead to a recommendation, but the choice is yours.")}

	s.devices = s.question([]string{lang.L("Only this PC"), lang.L("Several (a phone, a laptop…)")}, []answer{oneDevice, manyDevices}, &s.answers.devices)
	s.shared = s.question([]string{lang.L("Only me"), lang.L("Others too (e.g. info@ or office@)")}, []answer{onlyMe, sharedAddress}, &s.answers.shared)
	s.storage = s.question([]string{lang.L("No, or I don't know"), lang.L("Yes, the mailbox is small")}, []answer{roomy, tight}, &s.answers.storage)
	questions := widget.NewForm(
		widget.NewFormItem(lang.L("Which devices read this address?"), s.devices),
		widget.NewFormItem(lang.L("Who reads this address?"), s.shared),
		widget.NewFormItem(lang.L("Is space on the server tight?"), s.storage),
	)
	s.recommendation = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}}

	s.imapBadge = &widget.Label{Text: lang.L("★ Recommended for you"), Importance: widget.SuccessImportance, TextStyle: fyne.TextStyle{Bold: true}}
	s.pop3Badge = &widget.Label{Text: lang.L("★ Recommended for you"), Importance: widget.SuccessImportance, TextStyle: fyne.TextStyle{Bold: true}}
	s.chooseIMAP = &widget.Button{Text: lang.L("Use IMAP for this address"), OnTapped: func() { s.choose(accounts.IMAP) }}
	s.choosePOP3 = &widget.Button{Text: lang.L("Use POP3 for this address"), OnTapped: func() { s.choose(accounts.POP3) }}
	imap := s.column("IMAP", lang.L("Your mail stays on the server"), s.imapBadge, []string{
		lang.L("**Where your mail lives:** on your provider's server. This PC shows it and keeps a copy in step."),
		lang.L("**Several devices:** PC, laptop and phone all see the same mail, folders and read or answered marks."),
		lang.L("**Shared addresses (info@, office@):** colleagues see at once that a mail was answered, so nothing is answered twice."),
		lang.L("**Space:** the mail takes space on the server. When the mailbox is full, new mail bounces back to the sender; Postfach shows how full it is."),
		lang.L("**If this PC's disk dies:** nothing is lost. Set up the new device and everything is there."),
		lang.L("**Who holds your mail:** your provider, who also backs it up."),
	}, s.chooseIMAP)
	pop3 := s.column("POP3", lang.L("Your mail comes to this PC"), s.pop3Badge, []string{
		lang.L("**Where your mail lives:** on this PC. It is downloaded and, as you choose, removed from the server later."),
		lang.L("**Several devices:** each device fetches on its own; read, answered and deleted marks are not shared. Mail this PC removes from the server disappears from the phone too."),
		lang.L("**Shared addresses (info@, office@):** a colleague cannot see that you already answered, so mail gets answered twice."),
		lang.L("**Space:** the server stays small; the mail takes space on this PC instead."),
		lang.L("**If this PC's disk dies:** mail that is only here is gone, unless it was backed up. Postfach makes that backup for you, best on an external drive."),
		lang.L("**Who holds your mail:** you do. It works offline and you decide how long it is kept."),
	}, s.choosePOP3)

	warning := container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.WarningIcon())), nil, container.NewVBox(
		&widget.Label{Text: lang.L("Choose with care: switching later is hard"), TextStyle: fyne.TextStyle{Bold: true}, Importance: widget.WarningImportance},
		&widget.Label{Wrapping: fyne.TextWrapWord, Text: lang.L(
			"No mail program can simply convert an account from one to the other. Going from POP3 to IMAP means uploading every mail that is only on this PC to the server, and it may not fit. Going from IMAP to POP3 removes mail from the server that your other devices rely on. Postfach can move your mail for you later, but it takes time and space. That is why Postfach asks now and fixes the choice for this account.")},
	))
	exchange := widget.NewRichTextFromMarkdown(lang.L("**Exchange or Microsoft 365?** These also sync calendar and contacts; Postfach manages the mail part over IMAP. Choose IMAP here."))
	exchange.Wrapping = fyne.TextWrapWord
	s.chosen = &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}}
	s.chosen.Hide()

	s.obj = container.NewVBox(
		intro,
		heading(lang.L("Three questions")),
		questions,
		s.recommendation,
		widget.NewSeparator(),
		warning,
		container.NewGridWithColumns(2, imap, pop3),
		exchange,
		s.chosen,
	)
	s.updateRecommendation()
}

// question is a horizontal radio group whose choice is stored in *dst.
func (s *decisionStep) question(labels []string, values []answer, dst *answer) *widget.RadioGroup {
	r := widget.NewRadioGroup(labels, func(sel string) {
		*dst = ""
		for i, l := range labels {
			if l == sel {
				*dst = values[i]
			}
		}
		s.updateRecommendation()
	})
	r.Horizontal = true
	return r
}

// column is one side of the comparison.
func (s *decisionStep) column(name, tagline string, badge *widget.Label, points []string, choose *widget.Button) fyne.CanvasObject {
	md := ""
	for _, p := range points {
		md += "- " + p + "\n"
	}
	text := widget.NewRichTextFromMarkdown(md)
	text.Wrapping = fyne.TextWrapWord
	badge.Hide()
	title := &widget.Label{Text: name, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText}
	return widget.NewCard("", "", container.NewBorder(
		container.NewVBox(container.NewHBox(title, badge), &widget.Label{Text: tagline, Importance: widget.LowImportance}),
		container.NewPadded(choose), nil, nil, text))
}

func (s *decisionStep) updateRecommendation() {
	p, reason, ok := recommend(s.answers)
	s.imapBadge.Hide()
	s.pop3Badge.Hide()
	if !ok {
		s.recommendation.Importance = widget.LowImportance
		s.recommendation.TextStyle.Bold = false
		s.recommendation.SetText(lang.L("Answer the questions for a recommendation."))
		return
	}
	s.recommendation.Importance = widget.MediumImportance
	s.recommendation.TextStyle.Bold = true
	if p == accounts.IMAP {
		s.imapBadge.Show()
		s.recommendation.SetText(lang.L("Our recommendation: IMAP. {{.Reason}}", map[string]any{"Reason": reason}))
	} else {
		s.pop3Badge.Show()
		s.recommendation.SetText(lang.L("Our recommendation: POP3. {{.Reason}}", map[string]any{"Reason": reason}))
	}
	if s.w.backup != nil {
		s.w.backup.form.otherDevices = s.answers.devices == manyDevices || s.answers.shared == sharedAddress
		s.w.backup.form.updateRetention()
	}
}

// choose records the user's deliberate choice and when it was made.
func (s *decisionStep) choose(p accounts.Protocol) {
	if s.protocol != p {
		s.w.server.protocolChanged(p)
	}
	s.protocol, s.chosenAt = p, s.w.now().UTC().Truncate(time.Second)
	s.chooseIMAP.Importance, s.choosePOP3.Importance = widget.MediumImportance, widget.MediumImportance
	s.chooseIMAP.Icon, s.choosePOP3.Icon = nil, nil
	chosen := s.chooseIMAP
	if p == accounts.POP3 {
		chosen = s.choosePOP3
	}
	chosen.Importance, chosen.Icon = widget.HighImportance, theme.ConfirmIcon()
	s.chooseIMAP.Refresh()
	s.choosePOP3.Refresh()
	if p == accounts.IMAP {
		s.chosen.SetText(lang.L("You chose IMAP: your mail stays on the server. Continue with “Next”."))
	} else {
		s.chosen.SetText(lang.L("You chose POP3: your mail comes to this PC and Postfach backs it up. Continue with “Next”."))
	}
	s.chosen.Show()
	s.w.refreshButtons()
}

func (s *decisionStep) title() string              { return lang.L("POP3 or IMAP: where should your mail live?") }
func (s *decisionStep) content() fyne.CanvasObject { return s.obj }
func (s *decisionStep) enter()                     {}
func (s *decisionStep) ready() bool                { return s.protocol != "" }
