// Package export copies messages out of a backup for other mail programs: as .eml files
// (one per message, byte-identical to the stored message, named so that they sort by
// date) or as one mbox file in the mboxrd variant.
//
// mboxrd (see https://www.loc.gov/preservation/digital/formats/fdd/fdd000385.shtml)
// separates messages by "From " lines and quotes every body line that matches
// ^>*From  with one more '>', so a reader can undo the quoting exactly; the other
// variants lose the difference between "From " and ">From " in the text, or split a
// message at a body line starting with "From ". Message bytes are otherwise written as
// stored (CRLF line ends stay CRLF): Python's mailbox module and Thunderbird read such
// files back as the same messages.
//
// Exports only read the backup. An mbox is written under a temporary name and renamed
// when complete, so a cancelled or failed export never leaves a file that looks whole.
package export
