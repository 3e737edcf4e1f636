/*
 * The transfer-events sync protocol (services/transfer-events/src/sync/mod.rs), for spin.
 *
 * Plaid appends events and sends pokes (identical, at least once: a poke not acked is
 * redelivered). Two replicas each run a consumer (records a poke as a sync request, then acks
 * it) and a driver (takes the lease, claims the fence, starts a sync by taking the newest
 * request generation, pages, commits each page with a compare-and-set, marks the generation
 * served on the last page, releases the lease). Any step of any consumer or driver may crash
 * (bounded by MAXCRASH); a crashed holder's lease stays until it expires. The lease may expire
 * at any moment (bounded by MAXEXP), and always does when nothing else can move; a holder whose
 * lease expired may go on acting (a paused process does not know), so only the database
 * protects the data. Each atomic block is one database transaction, one KV compare-and-set or
 * one Plaid call.
 *
 * Checked (assertions, and the quiescence check):
 *   1. no event stored twice                      (commit: stored[e] == 0 before the insert)
 *   2. the cursor never passes an unstored event  (commit: every e <= cursor is stored)
 *   3. at most one syncing holder acts at a time  (commit: no holder writes after a newer
 *      holder claimed the feed, i.e. successful commits' tokens never go back: fencing)
 *   4. no poke lost: a generation is marked served only by a sync that started after every
 *      poke recorded into it, so its pages cover every event that existed when those pokes
 *      were sent (commit of the last page); and once nothing can move, every acked poke's
 *      events are stored and its generation served (quiescence).
 *
 * Variants (each must make spin find a violation; see check.sh):
 *   -DNOFENCE       the fence is not claimed nor checked (the cursor compare-and-set stays):
 *                   a stale holder's page lands after a newer holder's claim (property 3).
 *   -DBLIND         no fence and no cursor compare-and-set (blind cursor writes; property 3 is
 *                   not asserted, there being no fence): an event is stored twice (property 1).
 *   -DJOIN_RUNNING  a poke joins the generation of the sync already running instead of opening
 *                   a new one: a sync that started before the poke serves it (property 4).
 *
 * Abstracted away: event contents (an event is its id), deposits and outbox rows (written in
 * the same transaction as the page, so they share its fate), page contents beyond ids, time
 * (the lease TTL is "expires at any moment"), the sweep (a poke that cannot be lost), JetStream
 * batching (one poke per delivery), the lease renewal protocol (penny-bus tests it; here a
 * lease simply is held until released or expired), and retries with backoff (a failed Plaid
 * call is a crash of the sync: the lease is kept until expiry, which is worse).
 */

/* The bounds (check.sh runs the defaults; -D overrides them). */
#ifndef MAXE
#define MAXE      2   /* events Plaid appends */
#endif
#ifndef PAGE
#define PAGE      1   /* events per page: MAXE events take MAXE + 1 pages */
#endif
#ifndef MAXPOKE
#define MAXPOKE   2   /* pokes Plaid sends */
#endif
#ifndef MAXCRASH
#define MAXCRASH  1   /* crashes in a run, any step of any consumer or driver (2 exceeds 24 GiB) */
#endif
#ifndef MAXEXP
#define MAXEXP    1   /* lease expiries while the holder may still act */
#endif
#define MAXGEN    (MAXPOKE + MAXCRASH + 2)   /* request generations */

#define NONE      0
#define READY     1
#define INFLIGHT  2
#define ACKED     3

/* Plaid */
byte plaid_n = 0;              /* events 1..plaid_n exist */
byte pokes_made = 0;
byte poke_state[MAXPOKE];
byte poke_need[MAXPOKE];       /* plaid_n when the poke was sent */

/* The database: the feed row and the ledger. */
byte stored[MAXE + 1];         /* how many times each event was inserted */
byte cursor = 0;
byte fence = 0;
byte requested = 0;
byte taken = 0;
byte served = 0;

/* The lease (a KV key): who holds it and the token of its acquiring write. */
byte holder = 0;               /* replica id + 1; 0 = free */
byte lease_tok = 0;
byte next_tok = 0;             /* the bucket's revision: tokens strictly increase */

/* Ghosts, for the properties. */
byte need_of_gen[MAXGEN];      /* the largest need of the pokes recorded into a generation */
byte maxtok = 0;               /* the newest token that claimed the feed */
byte acked_need = 0;
byte acked_gen = 0;
byte crashes = 0;
byte expiries = 0;

#define CAN_CRASH (crashes < MAXCRASH)

/* A driver's locals back to their idle values (so idle states do not differ by leftovers). */
#define RESET     tok = 0; gen = 0; from = 0; hi = 0; last = false; e = 0

#ifdef BLIND
#define CAS_OK    (true)
#else
#ifdef NOFENCE
#define CAS_OK    (cursor == from)
#else
#define CAS_OK    (fence == tok && cursor == from)
#endif
#endif

#if defined(NOFENCE) || defined(BLIND)
#define OWNS      (true)
#else
#define OWNS      (fence == tok)
#endif

active proctype plaid()
{
end:
    do
    :: atomic { plaid_n < MAXE -> plaid_n++ }
    :: atomic { pokes_made < MAXPOKE ->
           poke_state[pokes_made] = READY;
           poke_need[pokes_made] = plaid_n;
           pokes_made++ }
    od
}

/* Records poke p as a request (one UPDATE), then acks it; a crash before the ack redelivers. */
inline record(p)
{
    if
    :: atomic { CAN_CRASH -> crashes++; poke_state[p] = READY; g = 0 }
    :: atomic {
#ifdef JOIN_RUNNING
           if
           :: requested == served -> requested++
           :: else -> skip
           fi;
#else
           if
           :: requested == taken -> requested++
           :: else -> skip
           fi;
#endif
           g = requested;
           if
           :: poke_need[p] > need_of_gen[g] -> need_of_gen[g] = poke_need[p]
           :: else -> skip
           fi
       }
       if
       :: atomic { CAN_CRASH -> crashes++; poke_state[p] = READY; g = 0 }
       :: atomic {
              poke_state[p] = ACKED;
              if
              :: poke_need[p] > acked_need -> acked_need = poke_need[p]
              :: else -> skip
              fi;
              if
              :: g > acked_gen -> acked_gen = g
              :: else -> skip
              fi;
              g = 0
          }
       fi
    fi
}

proctype consumer(byte id)
{
    byte g;
end:
    do
    :: atomic { poke_state[0] == READY -> poke_state[0] = INFLIGHT }; record(0)
    :: atomic { poke_state[1] == READY -> poke_state[1] = INFLIGHT }; record(1)
    od
}

proctype driver(byte id)
{
    byte tok, gen, from, hi, e;
    bool last;

idle:
end:
    do
    :: atomic { served < requested && holder == 0 ->
           next_tok++; tok = next_tok; lease_tok = tok; holder = id + 1 };
       goto claim
    od;

claim:
    if
    :: atomic { CAN_CRASH -> crashes++; RESET }; goto idle
#if defined(NOFENCE) || defined(BLIND)
    :: atomic { tok > maxtok -> maxtok = tok }; goto start
    :: atomic { tok <= maxtok }; goto start
#else
    :: atomic { fence <= tok -> fence = tok; maxtok = tok }; goto start
    :: atomic { fence > tok }; goto release
#endif
    fi;

start:
    if
    :: atomic { CAN_CRASH -> crashes++; RESET }; goto idle
    :: atomic { OWNS && served < requested -> taken = requested; gen = taken; from = cursor };
       goto fetch
    :: atomic { OWNS && served >= requested }; goto release
    :: atomic { !OWNS }; goto release
    fi;

fetch:
    if
    :: atomic { CAN_CRASH -> crashes++; RESET }; goto idle
    :: atomic { holder != id + 1 || lease_tok != tok -> RESET }; goto idle   /* noticed the lease lost */
    :: atomic {
           hi = plaid_n;
           if
           :: hi > from + PAGE -> hi = from + PAGE
           :: else -> skip
           fi;
           last = (hi - from < PAGE)
       };
       goto commit
    fi;

commit:
    if
    :: atomic { CAN_CRASH -> crashes++; RESET }; goto idle
    :: atomic { CAS_OK ->
#ifndef BLIND
           assert(tok >= maxtok);                       /* 3: fencing */
#endif
           e = from + 1;
           do
           :: e <= hi -> assert(stored[e] == 0);        /* 1: once */
                        stored[e]++; e++
           :: else -> break
           od;
           cursor = hi;
           e = 1;
           do
           :: e <= cursor -> assert(stored[e] == 1); e++  /* 2: no gap below the cursor */
           :: else -> break
           od;
           if
           :: last ->
                e = 1;
                do
                :: e <= gen -> assert(need_of_gen[e] <= hi); e++   /* 4: started after */
                :: else -> break
                od;
                served = gen
           :: else -> skip
           fi;
           e = 0
       };
       if
       :: last -> goto start
       :: else -> goto fetch
       fi
    :: atomic { !CAS_OK }; goto release
    fi;

release:
    atomic {
        if
        :: holder == id + 1 && lease_tok == tok -> holder = 0
        :: else -> skip
        fi;
        RESET
    };
    goto idle
}

/* The lease's TTL: it may run out at any moment, and does once nothing else can move. */
active proctype clock()
{
end:
    do
    :: atomic { holder != 0 && expiries < MAXEXP -> holder = 0; expiries++ }
    :: atomic { timeout && holder != 0 -> holder = 0 }
    od
}

/* Once nothing can move and no lease is held, every acked poke is served (4). */
active proctype quiescence()
{
    atomic {
        timeout && holder == 0 ->
        assert(served >= acked_gen);
        assert(cursor >= acked_need)
    }
}

init
{
    atomic {
        run consumer(0); run consumer(1);
        run driver(0); run driver(1)
    }
}
