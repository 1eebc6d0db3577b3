package lexical

import "strings"

// stopWords are English function words (the NLTK/Snowball list with
// apostrophes removed, as the tokenizer removes them, plus a few common
// adverbs and connectives of academic prose), and LaTeX formatting commands
// that leak into abstracts ("mathcal L_2").
var stopWords = func() map[string]struct{} {
	const list = `
a about above after again against all am an and any are arent as at
be because been before being below between both but by
can cannot cant could couldnt
did didnt do does doesnt doing dont down during
each either
few for from further
had hadnt has hasnt have havent having he hes her here heres hers herself him himself his how hows
i im ive if in into is isnt it its itself
lets
me more most mustnt my myself
no nor not
of off on once only or other ought our ours ourselves out over own
same shant she shes should shouldnt so some such
than that thats the their theirs them themselves then there theres these they theyd theyll theyre theyve this those through to too
under until up upon us
very
was wasnt we well were weve werent what whats when whens where wheres which while who whos whom why whys will with wont would wouldnt
you youd youll youre youve your yours yourself yourselves
also although among amongst another around across besides eg et al etc however ie
may might must onto per since therefore thus toward towards via whereas whether within without yet
mathcal mathbb mathrm mathbf mathit mathsf mathtt mathscr textbf textit textrm texttt textsc emph boldsymbol operatorname
`
	m := map[string]struct{}{}
	for _, w := range strings.Fields(list) {
		m[w] = struct{}{}
	}
	return m
}()

// isStopWord reports whether w (lower case, no apostrophes) is dropped.
func isStopWord(w string) bool {
	_, ok := stopWords[w]
	return ok
}
