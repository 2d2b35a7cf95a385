//! Readable reports (`--format text`), Persian or English.

use sandoq_apportion::exact::{decimal_string, fraction_string};
use sandoq_apportion::{Outcome, Request};
use sandoq_count::{Contest, Succession, TallyResult, RULE_SET};
use sandoq_i18n::{localise, number, Lang};
use std::fmt::Write;

fn t<'a>(lang: Lang, fa: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Fa => fa,
        Lang::En => en,
    }
}

pub fn tally_text(
    contest: &Contest,
    result: &TallyResult,
    successions: &[Succession],
    lang: Lang,
) -> String {
    let mut out = String::new();
    let n = |v: u64| number(v, lang);
    let c = |text: &str| sandoq_i18n::code(text, lang);
    let _ = writeln!(
        out,
        "{} — {} {}",
        t(lang, "نتیجهٔ شمارش آرا", "Result of the count"),
        t(lang, "قواعد", "rule set"),
        RULE_SET
    );
    let b = &result.ballots;
    let _ = writeln!(
        out,
        "{}: {} {} | {} {} | {} {} | {} {} | {} {}",
        t(lang, "برگ‌های رأی", "Ballots"),
        t(lang, "کل", "cast"),
        n(b.cast),
        t(lang, "فهرستی", "list"),
        n(b.list),
        t(lang, "نامزدی", "candidates"),
        n(b.candidates),
        t(lang, "سفید", "blank"),
        n(b.blank),
        t(lang, "باطل", "invalid"),
        n(b.invalid)
    );
    let _ = writeln!(out, "D = {}", n(result.denominator));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<16} {:>12} {:>14} {:>6} {:>6} {:>6}",
        t(lang, "گروه", "group"),
        t(lang, "آرا", "votes"),
        t(lang, "سهم", "quota"),
        t(lang, "کامل", "whole"),
        t(lang, "مانده", "rem."),
        t(lang, "کرسی", "seats")
    );
    for g in &result.allocation.groups {
        let quota = g
            .quota
            .as_ref()
            .map(|q| localise(&decimal_string(q, 4), lang))
            .unwrap_or_else(|| "—".into());
        let remainder = if g.remainder_seat { "+1" } else { "" };
        let capped = if g.capped {
            t(lang, " (سقف)", " (cap)")
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{:<16} {:>12} {:>14} {:>6} {:>6} {:>6}{}",
            c(contest.group_code(g.group)),
            n(g.votes),
            quota,
            n(u64::from(g.whole)),
            localise(remainder, lang),
            n(u64::from(g.seats)),
            capped
        );
    }
    if result.vacant_seats() > 0 {
        let _ = writeln!(
            out,
            "{}: {}",
            t(lang, "کرسی خالی", "vacant seats"),
            n(u64::from(result.vacant_seats()))
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}:", t(lang, "منتخبان", "Elected"));
    for (g, members) in result.members.iter().enumerate() {
        for &m in members.elected() {
            let _ = writeln!(
                out,
                "  {} — {} ({} {})",
                c(&contest.candidates[m as usize].code),
                c(contest.group_code(g as u32)),
                n(result.candidate_votes[m as usize]),
                t(lang, "رأی", "votes")
            );
        }
    }
    let _ = writeln!(out, "{}:", t(lang, "علی‌البدل‌ها", "Alternates"));
    for (g, members) in result.members.iter().enumerate() {
        if members.alternates == 0 {
            continue;
        }
        let list: Vec<String> = members
            .alternates()
            .iter()
            .map(|&m| c(&contest.candidates[m as usize].code))
            .collect();
        let _ = writeln!(
            out,
            "  {}: {}",
            c(contest.group_code(g as u32)),
            list.join(t(lang, "، ", ", "))
        );
    }
    for lot in &result.lots {
        let _ = writeln!(
            out,
            "{}: {} → {}",
            t(lang, "قرعه", "Lot"),
            c(&lot.tied.join(", ")),
            c(&lot.winners.join(", "))
        );
    }
    for s in successions {
        let successor =
            s.successor.as_deref().map(c).unwrap_or_else(|| {
                t(lang, "کرسی خالی می‌ماند", "the seat stays vacant").to_string()
            });
        let _ = writeln!(
            out,
            "{}: {} → {} ({})",
            t(lang, "جانشینی", "Succession"),
            c(&s.leaving),
            successor,
            s.rule.name()
        );
    }
    let _ = writeln!(out);
    let explanation = sandoq_count::explain(contest, result);
    let _ = writeln!(out, "{}", explanation.get(lang));
    out
}

pub fn apportion_text(request: &Request, outcome: &Outcome, lang: Lang) -> String {
    let mut out = String::new();
    let n = |v: u64| number(v, lang);
    let _ = writeln!(
        out,
        "{}: {}",
        t(lang, "روش", "Method"),
        request.method.name()
    );
    let _ = writeln!(
        out,
        "{:<24} {:>14} {:>8}",
        t(lang, "حزب", "party"),
        t(lang, "آرا", "votes"),
        t(lang, "کرسی", "seats")
    );
    for (i, party) in request.parties.iter().enumerate() {
        let note = if !outcome.qualified[i] {
            t(lang, " (زیر آستانه)", " (below threshold)")
        } else if outcome.capped[i] {
            t(lang, " (سقف)", " (cap)")
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{:<24} {:>14} {:>8}{}",
            party.name,
            n(party.votes),
            n(u64::from(outcome.seats[i])),
            note
        );
    }
    if outcome.vacant > 0 {
        let _ = writeln!(
            out,
            "{}: {}",
            t(lang, "کرسی خالی", "vacant seats"),
            n(u64::from(outcome.vacant))
        );
    }
    for round in &outcome.rounds {
        let _ = writeln!(
            out,
            "{}: {} ≈ {}",
            t(lang, "سهمیه", "quota"),
            localise(&fraction_string(&round.quota), lang),
            localise(&decimal_string(&round.quota, 4), lang)
        );
    }
    for lot in &outcome.lots {
        let _ = writeln!(
            out,
            "{}: {} → {}",
            t(lang, "قرعه", "Lot"),
            lot.tied.join(", "),
            lot.winners.join(", ")
        );
    }
    out
}
