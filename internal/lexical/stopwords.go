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

// maxStopLen is the length of the longest stop word.
const maxStopLen = 15

// stopSigs[len][first letter] has bit (last letter) set when a stop word
// of that length begins and ends with those letters: most words are
// rejected by it without a map look-up.
var stopSigs = func() *[maxStopLen + 1][26]uint32 {
	var sig [maxStopLen + 1][26]uint32
	for w := range stopWords {
		if len(w) > maxStopLen {
			panic("lexical: stop word " + w + " is longer than maxStopLen")
		}
		first, last := w[0]-'a', w[len(w)-1]-'a'
		if first >= 26 || last >= 26 {
			panic("lexical: stop word " + w + " does not begin and end with a letter a-z")
		}
		sig[len(w)][first] |= 1 << last
	}
	return &sig
}()

// isStopWordBytes is isStopWord on bytes.
func isStopWordBytes(w []byte) bool {
	n := len(w)
	if n == 0 || n > maxStopLen {
		return false
	}
	first, last := w[0]-'a', w[n-1]-'a'
	if first >= 26 || last >= 26 || stopSigs[n][first]&(1<<last) == 0 {
		return false
	}
	_, ok := stopWords[string(w)]
	return ok
}
