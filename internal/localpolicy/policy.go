package localpolicy

// reach is the stand-in's policy: from the observed state, each action
// covers gain of the remaining distance to the target, at most maxStep per
// dimension (the speed cap over one 1/rate step). Actions are absolute
// states, so a robot that follows them moves there and stays.
type reach struct {
	target  []float64
	gain    float64
	maxStep float64
}

// chunk is n successive actions from state.
func (p reach) chunk(state []float64, n int) [][]float64 {
	a := append([]float64(nil), state...)
	out := make([][]float64, n)
	for k := range out {
		for i := range a {
			a[i] += min(p.maxStep, max(-p.maxStep, p.gain*(p.target[i]-a[i])))
		}
		out[k] = append([]float64(nil), a...)
	}
	return out
}

// predictChunk answers predict_action_chunk: a whole chunk from the state.
func (s *Server) predictChunk(state []float64) [][]float64 {
	c := s.policy.chunk(state, s.conf.ChunkLength)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.episode.Chunks++
	s.episode.Actions += len(c)
	return c
}

// selectAction answers select_action as LeRobot's policies do: the next
// action of a queue that is refilled from the observation, ActionSteps
// actions of a fresh chunk, when empty. The queue lives until reset.
func (s *Server) selectAction(state []float64) []float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		s.queue = s.policy.chunk(state, s.conf.ChunkLength)[:s.conf.ActionSteps]
		s.episode.Chunks++
	}
	a := s.queue[0]
	s.queue = s.queue[1:]
	s.episode.Actions++
	return a
}
