package soak

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/vippsportal/sdk/portal/portaltest"
)

// check compares the simulator's final state, its request log and its effect
// counters with what the workers were told, and fills res.
//
// Lost: a success the caller saw that the state does not hold (a creation, a
// ready unit, an invited user not removed since, a prefilled order not deleted
// since, the value of the last regenerated key, the grants of a user whose
// writes all succeeded).
//
// Duplicates: work done twice for one logical call. A call that failed after
// the server did its work is orphaned, not duplicated. Four views:
//   - state: two creations with the same unit name, two orders for the same
//     business id, two users with the same phone (each logical call sends a
//     name, id or phone of its own);
//   - log: one Idempotency-Key with more than one 2xx answer that was not a replay;
//   - effects: an operation's work count above the number of its keys that
//     could have done work (a 2xx not replayed, or an answer dropped after work);
//   - client: a logical call that sent more than one Idempotency-Key.
func (r *soak) check(res *Result, workers []*worker, initial portaltest.State) {
	final := r.s.State()
	log := r.s.Requests()
	find := func(counter *int, format string, args ...any) {
		*counter++
		if len(res.Findings) < 200 {
			res.Findings = append(res.Findings, fmt.Sprintf(format, args...))
		}
	}

	creations := map[string]portaltest.CreationState{}
	byName := map[string]int{}
	for _, c := range final.Creations {
		creations[c.CreationID] = c
		byName[c.Name]++
	}
	units := map[string]portaltest.SalesUnitState{}
	for _, u := range final.SalesUnits {
		units[u.MSN] = u
	}
	usersByID := map[string]portaltest.UserState{}
	byPhone := map[string]int{}
	for _, u := range final.Users {
		usersByID[u.UserID] = u
		byPhone[u.PhoneNumber]++
	}
	orders := map[string]bool{}
	byBusiness := map[string]int{}
	for _, o := range final.ProductOrders {
		orders[o.ProductOrderID] = true
		byBusiness[o.MerchantScheme+"/"+o.MerchantID]++
	}

	// Lost.
	for _, w := range workers {
		for id, name := range w.creations {
			if c, ok := creations[id]; !ok || c.Name != name {
				find(&res.Lost, "lost: creation %s (%q) is not in the state", id, name)
			}
		}
		for _, msn := range w.readyMSNs {
			if _, ok := units[msn]; !ok {
				find(&res.Lost, "lost: ready test unit %s is not in the state", msn)
			}
		}
		for id, phone := range w.invited {
			u, present := usersByID[id]
			switch {
			case w.removed[id] && present:
				find(&res.Lost, "lost: removing user %s succeeded but it is still there", id)
			case w.removed[id] || w.removeUnsure[id]:
			case !present || u.PhoneNumber != phone:
				find(&res.Lost, "lost: invited user %s (%s) is not in the state", id, phone)
			}
		}
		for id := range w.prefilled {
			if !w.deleted[id] && !orders[id] {
				find(&res.Lost, "lost: prefilled order %s is not in the state", id)
			}
		}
		for key, rg := range w.regens {
			if rg.failedAfter || rg.failedBefore {
				continue // another regenerate of this key failed, and may have done its work after this one
			}
			msn, name, _ := strings.Cut(key, "/")
			u, ok := units[msn]
			if !ok {
				find(&res.Lost, "lost: unit %s of a regenerated key is gone", msn)
				continue
			}
			current := map[string]string{"clientId": u.Keys.ClientID, "clientSecret": u.Keys.ClientSecret,
				"subscriptionKeyPrimary": u.Keys.SubscriptionKeyPrimary, "subscriptionKeySecondary": u.Keys.SubscriptionKeySecondary}[name]
			if current != rg.value {
				find(&res.Lost, "lost: the last regenerated %s of unit %s is not the unit's current value", name, msn)
			}
		}
		for _, ou := range w.users {
			if ou.unsure {
				continue
			}
			su, ok := usersByID[ou.id]
			if !ok {
				continue // reported above
			}
			got := map[string][]string{}
			for _, g := range su.Grants {
				p := slices.Clone(g.Permissions)
				slices.Sort(p)
				got[g.MSN] = p
			}
			if !equalGrants(got, ou.grants) {
				find(&res.Lost, "lost: user %s has grants %v, the caller was told %v", ou.id, got, ou.grants)
			}
		}
	}

	// Duplicates: state.
	sent := map[string]bool{}
	for _, w := range workers {
		for k := range w.sent {
			sent[k] = true
		}
		for id := range w.invited {
			sent[w.invited[id]] = true
		}
	}
	for name, n := range byName {
		if n > 1 && sent[name] {
			find(&res.Duplicates, "duplicate: %d creations named %q", n, name)
		}
	}
	for biz, n := range byBusiness {
		if _, id, _ := strings.Cut(biz, "/"); n > 1 && sent[id] {
			find(&res.Duplicates, "duplicate: %d product orders for %s", n, biz)
		}
	}
	for phone, n := range byPhone {
		if n > 1 {
			find(&res.Duplicates, "duplicate: %d users with phone %s", n, phone)
		}
	}
	// Orphans: calls that failed although their work was done.
	for _, w := range workers {
		told := map[string]bool{}
		for _, name := range w.creations {
			told[name] = true
		}
		for _, biz := range w.prefilled {
			told[biz] = true
		}
		for k := range w.sent {
			if !told[k] && (byName[k] > 0 || byBusiness["business:NO:ORG/"+k] > 0) {
				res.Orphaned++
			}
		}
	}

	// Duplicates: the request log and the effect counters.
	type opKey struct{ op, key string }
	worked := map[opKey]int{}     // 2xx answers that were not replays
	couldWork := map[opKey]bool{} // a 2xx not replayed, or dropped after the work
	for _, e := range log {
		if e.IdempotencyKey == "" || e.Method != http.MethodPost {
			continue
		}
		k := opKey{e.Operation, e.IdempotencyKey}
		if e.Status/100 == 2 && !e.Replayed {
			worked[k]++
			couldWork[k] = true
		}
		if e.Status == 0 && strings.Contains(e.Fault, "drop-after-work") {
			couldWork[k] = true
		}
	}
	for k, n := range worked {
		if n > 1 {
			find(&res.Duplicates, "duplicate: Idempotency-Key %s of %s did the work %d times", k.key, k.op, n)
		}
	}
	for _, op := range idempotentOps {
		keysThatCould := 0
		for k := range couldWork {
			if k.op == op {
				keysThatCould++
			}
		}
		if effects := r.s.Effects(op); effects > keysThatCould {
			find(&res.Duplicates, "duplicate: %s did its work %d times for %d idempotency keys", op, effects, keysThatCould)
		}
	}
	// Duplicates: the client must send one key per logical call, however many attempts.
	r.rec.mu.Lock()
	for id, ks := range r.rec.keys {
		if len(ks) > 1 {
			find(&res.Duplicates, "duplicate risk: logical call %d (%s) sent %d different Idempotency-Keys", id, r.rec.ops[id], len(ks))
		}
	}
	tokens := slices.Clone(r.rec.tokens)
	r.rec.mu.Unlock()

	res.Secrets = secretsOf(initial, final, workers, tokens)
}

func equalGrants(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// secretsOf lists every secret value of the run: the key sets and API clients
// of the state before and after, every key set a worker was given, every token.
func secretsOf(initial, final portaltest.State, workers []*worker, tokens []string) []string {
	set := map[string]bool{}
	add := func(vs ...string) {
		for _, v := range vs {
			if v != "" {
				set[v] = true
			}
		}
	}
	for _, st := range []portaltest.State{initial, final} {
		for _, u := range st.SalesUnits {
			add(u.Keys.ClientSecret, u.Keys.SubscriptionKeyPrimary, u.Keys.SubscriptionKeySecondary)
		}
		for _, u := range st.Users {
			add(u.APIClient.ClientSecret.Reveal(), u.APIClient.SubscriptionKey.Reveal())
		}
		for _, p := range st.Partners {
			add(p.APIClient.ClientSecret.Reveal(), p.APIClient.SubscriptionKey.Reveal())
		}
	}
	for _, w := range workers {
		add(w.seen...)
	}
	add(tokens...)
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
