"""Every diagnostic code with a title and a long explanation.

`switchflow explain CODE` prints these; docs/flow-language.md lists them.
Codes starting with E are errors, W warnings.
"""

CODES: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------ reading and parsing
    "E001": ("syntax error", """
The parser met something it did not expect here. The message names what it
found and what could come next. A common cause is a missing `:` after a
node name or before statement options, e.g. `collect pin digits 6` instead
of `collect pin: digits 6`."""),
    "E002": ("unterminated string", """
A string opened with `"` has no closing `"` on the same line. Strings cannot
span lines; close it, or split the text in two `say` statements."""),
    "E003": ("bad indentation", """
Blocks are marked by indentation. A line was indented to a column that does
not match any open block, or indented where no block may start. Indent each
block by the same number of spaces (two is the house style)."""),
    "E004": ("tab in indentation", """
Indentation must be spaces. Tabs look the same as spaces in many editors but
count differently, so they are refused. `switchflow fmt` rewrites a file
with spaces once it parses."""),
    "E005": ("not a text file", """
The file is not UTF-8 text (it contains NUL bytes or invalid UTF-8). Flow
files are plain UTF-8 text."""),
    "E006": ("empty flow file", """
The file holds no flow. Every flow file starts with `flow NAME`."""),
    "E007": ("file too large", """
The file is over the size switchflow accepts for one flow. Split it into
several flows, or move shared parts into `sub` nodes."""),
    "E008": ("nesting too deep", """
Blocks or brackets are nested deeper than switchflow accepts. Move the
inner part into its own step and `goto` or `call` it."""),
    "E009": ("unknown keyword", """
A line starts with a word that is not a statement or block keyword. The
help line suggests the closest keyword."""),
    "E010": ("bad duration", """
Durations are a number and a unit, written without a space: `500ms`, `5s`,
`2m`, `1h`, `3d`. Parts combine, larger units first and each once: `1m30s`
(the same as `90s`), `1h30m`. `5 s`, `1m 30s`, `30s1m`, `5sec` and `5000ms0`
are not durations."""),
    "E011": ("bad day, time or date", """
Business hours are written `mon-fri 08:00-20:00`, with days mon..sun or
`daily` and times from 00:00 to 24:00; dates are `2026-10-01` and ranges
`2026-10-01..2026-10-07`. A day cannot be both in a calendar's `holidays`
and in its `workdays`."""),
    "E012": ("bad string interpolation", """
Inside a string `{` starts an expression, closed by `}`: `{c.amount_due|money}`.
Write `{{` and `}}` for literal braces."""),
    "E013": ("number too large", """
Numbers in a flow have at most 15 digits before the decimal point, written
or computed (a computed one that grows past that ends the call with a flow
error). That is far beyond any amount or reading; a longer number is a
mistake, or digits that are really text (an account or card number): write
those as a string, `"6222020200112233445"`."""),
    "E014": ("full-width character", """
A digit, key or punctuation mark is written full-width (`３`, `＃`, `：`), as a
Chinese input method types it. Numbers, durations, menu keys, keys to press
and the language's punctuation are ASCII: write `3`, `#`, `:`. The words of
a `say` or of a prompt sentence may use any characters."""),
    # ------------------------------------------------------------ names
    "E101": ("unknown node", """
A `goto`, `->`, `call`, campaign outcome or test names a node that the flow
does not define."""),
    "E102": ("unknown prompt key", """
The prompt key is missing from the prompt catalogue of the flow's language
(prompts/LANG.toml). Add it there, or fix the spelling."""),
    "E103": ("unknown lookup", """
`lookup` can only call lookups declared in the catalogue (flows/catalog.toml,
`[lookups.NAME]`) and registered in Python; `switchflow catalog` lists them."""),
    "E104": ("unknown function", """
Expressions can only call built-in functions (open, now, today, len, number,
digits, text, first, last, round) and functions registered in the catalogue."""),
    "E105": ("unbound variable", """
A variable is used but never set in this flow. Variables come from `set`,
`collect`, `lookup`, `record`, `ticket ... as`, the header's `set`, or are
built in: caller, called, call_id, lang, and target in campaign calls."""),
    "E106": ("unknown field", """
The record has no such field. The fields of a lookup result are declared
with the lookup."""),
    "E107": ("duplicate name", """
Two nodes, campaigns, calendars or tests have the same name. A flow and a
library it uses (`use NAME`), or two libraries it uses, are one namespace:
a sub or calendar defined in both is this error too, as is a calendar with
`hours` named after a table of public holidays (`cn`)."""),
    "E108": ("unknown calendar", """
`open(NAME)`, `holidays NAME` and a campaign `window NAME` need a calendar
declared with `hours NAME: ...` in the flow header (or in a library the flow
uses). A name in a `holidays` line that is not a date must be a built-in
table of public holidays, such as `cn`."""),
    "E109": ("unknown filter", """
Filters in string interpolation are: money, number, digits, date, time."""),
    "E110": ("unknown option", """
The statement does not take this option, or not in this form: `fax` takes
`retries` only with `to` (a fax job is retried; a fax on the caller's line
is sent once). `switchflow explain E110` cannot list every option;
docs/flow-language.md lists each statement's options."""),
    "E111": ("missing option", """
The statement needs this option, e.g. `collect` needs `digits` and `prompt`."""),
    "E112": ("unknown event", """
The statement has no such `on` event. collect: fail; lookup: notfound, error;
queue: timeout DURATION, noagent; transfer: fail; record: silence; ticket: error;
fax: fail; submit: error.
Menus: nomatch, noinput, exhausted."""),
    "E113": ("unknown ticket type or field", """
Ticket types and their fields are declared in the catalogue."""),
    "E114": ("unknown fax document", """
Fax documents are templates declared in the catalogue."""),
    "E115": ("unknown queue", """
Queues are the mod_callcenter queues declared in the catalogue."""),
    "E116": ("no entry point", """
An inbound flow starts at `step start:`; a campaign flow starts at its
`on answer` node. The flow has neither."""),
    "E117": ("wrong kind of node", """
`goto` and `->` go to steps and menus; `call` goes to a `sub`, which comes
back with `return`."""),
    "E118": ("return outside a sub", """
`return` only ends a `sub` node; in a step use `goto` or `hangup`."""),
    "E119": ("unknown hangup cause", """
`hangup` takes a FreeSWITCH hangup cause such as NORMAL_CLEARING or
CALL_REJECTED."""),
    "E120": ("unknown setting", """
The flow header does not know this setting."""),
    "E121": ("unknown flow", """
`goto flow NAME` hands the call to another flow of the project on this
switch. `switchflow check` and `switchflow test` know the flows in the
folders they read; NAME is none of them. Check the spelling against the
`flow NAME` line of the other file."""),
    "E122": ("unknown submit", """
`submit NAME(…)` writes to the back office through a submit declared in the
catalogue (flows/catalog.toml, `[submits.NAME]`); NAME is none of them.
`switchflow catalog` lists the submits with their parameters. To read from
the back office, use `lookup`."""),
    # ------------------------------------------------------------ types and values
    "E201": ("type mismatch", """
A value of one type is used where another is needed, e.g. `{account|money}`
where account is digits the caller typed, or comparing a number with text.
The help line names the built-in that converts: `number(reading)` reads
digits or text as a number, `digits(n)` and `text(x)` go the other way.
Ordering keyed digits against a number (`reading > 1000`) needs no
conversion; `==` between digits and a number does (is it a code or a
quantity?)."""),
    "E202": ("bad option value", """
The option's value has the wrong kind (a duration where a number is
needed) or is out of the allowed range."""),
    "E203": ("wrong arguments", """
A lookup, function, submit or target source was called with missing, extra
or unknown arguments."""),
    "E204": ("arithmetic on a variable of mixed type", """
The variable is set to values of different types in different places (a
number here, text there), and this `+`, `-`, `*`, `/`, `%` or unary `-`
works on only one of them: on the other path the call would end with a
flow error. Keep one type per variable: use a second variable for the
other kind of value."""),
    "E205": ("division by zero", """
`/` or `%` by the number 0 can never be computed; the call would end with a
flow error."""),
    # ------------------------------------------------------------ menus
    "E301": ("duplicate menu key", """
The same key has two branches in one menu, or two key patterns match the
same entry (`"1[0-5]"` and `"1[3-9]"` both match 13); the second can never
run. An exact key may overlap a pattern: the exact key wins."""),
    "E302": ("impossible menu key", """
A caller cannot press this key: it is longer than the menu's `digits`, uses
characters other than 0-9, * and # (or a malformed pattern), or uses `#` in
a menu of more than one digit, where `#` ends the entry."""),
    "W303": ("menu without noinput or nomatch", """
Callers who press nothing or a wrong key hear the menu again with no
explanation. Add `noinput:` and `nomatch:` branches that say what to do."""),
    "E304": ("menu key starts a longer key", """
In a menu of several digits, a key is also the beginning of a longer key
(`1` and `12`). A caller who means `1` is only understood after the
inter-digit time runs out, and one who is slow between the keys of `12`
gets `1`. Give the keys different first keys, or the same length."""),
    # ------------------------------------------------------------ flow structure
    "W401": ("unreachable node", """
No path from the flow's entry points reaches this node."""),
    "W402": ("node can fall off its end", """
Execution can reach the end of this step without goto, hangup, queue or
transfer; the call would then be hung up without a word. End the step
explicitly."""),
    "W403": ("collect without a failure path", """
When the caller fails every try the call is hung up. Add `on fail -> NODE`
(an agent, usually)."""),
    "E404": ("no error path", """
A lookup can fail (back-office down, timeout), and so can the ticket desk.
Say where the call goes then: `on error -> agent`. A `lookup` always needs
it; a `ticket ... as VAR` too, since VAR (and its number) is none when the
desk failed. A `ticket` without `as` may leave it out: the flow then goes
on, and the failure is logged and kept on the call record."""),
    "W405": ("lookup without a notfound path", """
This lookup can find nothing; without `on notfound` the variable is none and
later uses of its fields fail. Add `on notfound: ...`."""),
    "W406": ("loop with no way out", """
These nodes lead only to each other: no hangup, queue, transfer or goto
leaves the loop, so only the caller's patience ends the call."""),
    "W407": ("statement can never run", """
The statement follows a goto, hangup, return or another statement that
always leaves, so it can never run."""),
    "E408": ("duplicate handler", """
The same `on` event or menu branch is given twice."""),
    "W409": ("variable may be unset", """
On some path to this use the variable is not yet set."""),
    "E410": ("recursive sub", """
A sub calls itself, directly or through other subs (a -> b -> a). Every
`call` keeps its caller waiting, so the chain never ends; the engine stops
a call nested more than 50 subs deep with a flow error. Use `goto` between
steps for a loop, or a menu's retries for asking again."""),
    "W411": ("transfer without a failure path", """
A `transfer` to a number that is busy, does not answer or cannot be reached
takes `on fail`. Without it the call ends there with an error: the caller
is cut off without a word. Add `on fail -> NODE` (a callback promise, a
queue, a message)."""),
    "W412": ("fax without a failure path", """
A `fax` can fail: on this line the far end may never answer the fax tones or
drop mid-fax; with `to`, the job may not be queued. Without `on fail` the
flow carries on as if the fax had been sent, and the caller is told so. Add
`on fail -> NODE` (usually: say it failed and offer another way)."""),
    "W413": ("queue without a timeout path", """
A `queue` without `on timeout DURATION` keeps the caller waiting as long as
the mod_callcenter queue does, and hangs up on them when no agent is logged
in (unless `on noagent` is given). Add `on timeout 5m -> NODE`: it is taken
when nobody answers in time, and also when nobody staffs the queue unless
`on noagent` handles that apart."""),
    "W414": ("record without a silence path", """
A `record` where the caller says nothing takes `on silence`. Without it the
flow goes on with the variable empty, as if a message had been left (a
ticket then carries no recording). Add `on silence: …` (ask again, or say
that nothing was recorded)."""),
    "W415": ("submit without an error path", """
A `submit` can be refused by the back office, fail or time out. Without
`on error` the failure is only logged and kept on the call record, and the
flow goes on as if the write had been accepted: the caller is told their
reading was taken when it was not. Add `on error: …`."""),
    # ------------------------------------------------------------ campaigns
    "E501": ("campaign without a window", """
Outbound calls must have a calling window (`window mon-sat 09:00-20:00` or a
calendar name) so that nobody is called at night."""),
    "E502": ("campaign without an answer node", """
A campaign needs `on answer -> NODE`: what an answered call runs."""),
    "E503": ("bad campaign setting", """
rate is N/s, N/m or N/h; concurrency at least 1; retry N every DURATION on
busy, noanswer, rejected, failed or machine."""),
    "E504": ("unknown target source", """
`targets` names a target source declared in the catalogue."""),
    # ------------------------------------------------------------ tests
    "E601": ("test refers to something unknown", """
A test names a node, lookup, queue, prompt, ticket type, fax document or
submit the flow does not use or know."""),
    "E602": ("bad test step", """
A test step is malformed: `expect KIND VALUE` with kind play, say, queue,
transfer, ticket, fax, record, hangup, node or log; `given NAME returns
VALUE | fails | notfound | timeout`."""),
    "W603": ("test without expectations", """
A test that expects nothing cannot fail. Add `expect` lines."""),
    # ------------------------------------------------------------ header
    "E701": ("duplicate header line", """
title, lang and timezone may be given once, and so may each setting. A
`say` likewise has one sentence per language: its own line is in the flow's
`lang`, and each `LANG: "…"` line under it names another language once."""),
    "E702": ("unknown language", """
There is no prompt catalogue for this language (prompts/LANG.toml)."""),
    "E703": ("unknown time zone", """
Time zones are IANA names such as Asia/Shanghai or UTC."""),
    "W704": ("sentence in one language only", """
The flow's prompts exist in several languages (every prompt it plays is in
each of those catalogues), so callers of each of those languages can use
it, but this `say` gives its sentence in fewer of them. A caller of a
missing language hears the flow's own sentence, spoken wholly in the flow's
language. Give the sentence for each language on its own line under the
`say`:

    say "您本月用气{c.month_usage|number}立方米。"
      en-US: "You used {c.month_usage|number} cubic meters this month."

Numbers, amounts and dates are spoken in the language of the sentence
they are in."""),
    "W705": ("public holidays run out", """
A calendar follows a built-in table of public holidays and make-up working
days (`holidays office: cn`), and the table's dates end too soon. From
1 December next year's dates are due (the State Council publishes them in
October or November); before that, this year's. Past the table's end the
calendar still closes on the statutory holidays the table can work out
(New Year's Day, the Spring Festival, …) but knows no bridging days off
and no make-up working days, so it is open when the office is closed and
closed when it works. The engine logs the same warning when a call asks
about such a day.

Upgrade the holidays package once it has the year. Until then, write the
published schedule as additions to the table, in the library or flow that
declares the calendars; a year the additions mention counts as known:

    holidays cn: 2027-01-01, 2027-02-05..2027-02-11
    workdays cn: 2027-02-14"""),
    "E710": ("unknown library", """
`use NAME` names a library: a file `NAME.flow` in the flows' folder whose
first line is `library NAME`. The library was not found, is a flow rather
than a library, declares another name, or has errors of its own (which are
shown with it)."""),
    "E711": ("not allowed in a library", """
A library holds subs and calendars (`hours`, `holidays`, `workdays`), and
a `title` and `lang`, for flows to share. Steps, menus, campaigns, tests,
numbers, settings, `set`, `timezone` and `use` belong in the flows that use
it: a call starts in a flow, and the flow's header says where, how long
and in which time zone."""),
}
