# SPDX-License-Identifier: GPL-2.0
# Tidies scdoc's roff for "mandoc -T lint": scdoc ends every indented block
# with ".P" then ".RE" and opens every section with ".P", which mandoc warns
# about (an empty paragraph, a paragraph right after .SH). Here a ".P" before
# ".RE" moves after it (the blank line between two option entries stays), and
# a ".P" right after .TH/.SH/.SS/.P or right before .SH/.SS or the end of the
# page is dropped. Nothing else changes.
/^\.P$/ {
	if (held || last ~ /^\.(TH|SH|SS|P)( |$)/)
		next
	held = 1
	next
}
/^\.RE( |$)/ {
	print
	last = $0
	next
}
/^\.(SH|SS)( |$)/ { held = 0 }
{
	if (held)
		print ".P"
	held = 0
	print
	last = $0
}
