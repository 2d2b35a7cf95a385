//! The result explained step by step, so that a voter can follow why each seat
//! went where (TEHRAN_RULES.md §7). Persian first, English second; numbers in
//! Persian digits in the Persian text; hashes stay as they are, to be checked.

use crate::election::Contest;
use crate::TallyResult;
use sandoq_apportion::exact::{decimal_string, fraction_string};
use sandoq_i18n::{number, Bilingual, Lang};

/// Both texts of the explanation.
pub fn explain(contest: &Contest, result: &TallyResult) -> Bilingual {
    Bilingual {
        fa: explain_in(contest, result, Lang::Fa),
        en: explain_in(contest, result, Lang::En),
    }
}

fn group_name(contest: &Contest, group: u32, lang: Lang) -> String {
    match contest.lists.get(group as usize) {
        Some(list) => match lang {
            Lang::Fa => format!("فهرست {} ({})", code(&list.code, lang), list.name),
            Lang::En => format!("list {} ({})", list.code, list.name),
        },
        None => match lang {
            Lang::Fa => "نامزدهای منفرد".to_string(),
            Lang::En => "the independents".to_string(),
        },
    }
}

fn code(text: &str, lang: Lang) -> String {
    sandoq_i18n::code(text, lang)
}

fn decimal(value: &sandoq_apportion::Ratio, lang: Lang) -> String {
    sandoq_i18n::localise(&decimal_string(value, 4), lang)
}

fn explain_in(contest: &Contest, result: &TallyResult, lang: Lang) -> String {
    let fa = lang == Lang::Fa;
    let n = |value: u64| number(value, lang);
    let mut out = Vec::<String>::new();
    let b = &result.ballots;
    out.push(if fa {
        format!(
            "۱. برگ‌های رأی: {} برگ رأی به صندوق ریخته شد: {} رأی فهرستی، {} رأی به نامزدها، {} رأی سفید و {} رأی باطل.",
            n(b.cast), n(b.list), n(b.candidates), n(b.blank), n(b.invalid)
        )
    } else {
        format!(
            "1. Ballots: {} cast: {} for a list, {} for candidates, {} blank and {} invalid.",
            n(b.cast), n(b.list), n(b.candidates), n(b.blank), n(b.invalid)
        )
    });
    let group_totals: Vec<String> = (0..contest.n_groups())
        .map(|g| {
            format!(
                "{} {}",
                group_name(contest, g as u32, lang),
                n(result.group_votes[g])
            )
        })
        .collect();
    out.push(if fa {
        format!(
            "۲. آرای نامزدها: هر رأی فهرستی برای همهٔ اعضای آن فهرست یک رأی است و هر رأی به نامزدها برای هر نامزد نام‌برده یک رأی. جمع آرای هر گروه: {}. مخرج (جمع آرای همهٔ نامزدها) D = {}.",
            group_totals.join("، "),
            n(result.denominator)
        )
    } else {
        format!(
            "2. Candidate votes: a list ballot gives one vote to every member of its list; a candidate ballot one vote to each candidate it names. Group totals: {}. Denominator (all candidate votes) D = {}.",
            group_totals.join(", "),
            n(result.denominator)
        )
    });
    if let (Some(percent), Some(threshold)) = (
        &result.rules.threshold_percent,
        &result.allocation.threshold,
    ) {
        let out_groups: Vec<String> = threshold
            .qualified
            .iter()
            .enumerate()
            .filter(|(_, q)| !**q)
            .map(|(g, _)| group_name(contest, g as u32, lang))
            .collect();
        let p = sandoq_i18n::localise(&fraction_string(percent), lang);
        let none = if fa {
            "هیچ گروهی".to_string()
        } else {
            "no group".to_string()
        };
        let list = if out_groups.is_empty() {
            none
        } else {
            out_groups.join(if fa { "، " } else { ", " })
        };
        out.push(if fa {
            format!("آستانه: گروهی که کمتر از {p} درصد D رأی دارد کنار می‌رود: {list}.")
        } else {
            format!("Threshold: a group with less than {p}% of D takes no part: {list}.")
        })
    }
    for (r, round) in result.allocation.rounds.iter().enumerate() {
        let mut lines = Vec::new();
        let total = u64::try_from(round.votes).unwrap_or(u64::MAX);
        lines.push(if fa {
            format!(
                "۳.{} دور {}: {} کرسی میان {} گروه با {} رأی. سهم هر گروه = کرسی‌ها × آرای گروه ÷ {}:",
                n(r as u64 + 1),
                n(r as u64 + 1),
                n(u64::from(round.seats)),
                n(round.entries.len() as u64),
                n(total),
                n(total)
            )
        } else {
            format!(
                "3.{} Round {}: {} seats among {} groups with {} votes. Share of each group = seats × group votes ÷ {}:",
                r + 1,
                r + 1,
                round.seats,
                round.entries.len(),
                n(total),
                n(total)
            )
        });
        for entry in &round.entries {
            let name = group_name(contest, entry.party as u32, lang);
            let remainder_note = match (entry.remainder_seats > 0, fa) {
                (true, true) => {
                    "، و چون باقی‌مانده‌اش در میان بزرگ‌ترین‌هاست یک کرسی باقی‌مانده".to_string()
                }
                (true, false) => {
                    ", plus one remaining seat for one of the largest remainders".to_string()
                }
                _ => String::new(),
            };
            let cap_note = match (entry.capped, fa) {
                (true, true) => format!(
                    " — اما فقط {} نامزد دارد، پس همان را نگه می‌دارد و از رقابت بیرون می‌رود",
                    n(contest.groups[entry.party].len() as u64)
                ),
                (true, false) => format!(
                    " — but it has only {} candidates, so it keeps that many and leaves the race",
                    contest.groups[entry.party].len()
                ),
                _ => String::new(),
            };
            lines.push(if fa {
                format!(
                    "   • {}: {} × {} ÷ {} = {} ≈ {} → {} کرسی کامل{}؛ جمعاً {} کرسی{}.",
                    name,
                    n(u64::from(round.seats)),
                    n(entry.votes),
                    n(total),
                    sandoq_i18n::localise(&fraction_string(&entry.quotient), lang),
                    decimal(&entry.quotient, lang),
                    n(u64::from(entry.whole)),
                    remainder_note,
                    n(u64::from(entry.seats)),
                    cap_note
                )
            } else {
                format!(
                    "   • {}: {} × {} ÷ {} = {} ≈ {} → {} whole seats{}; {} in all{}.",
                    name,
                    round.seats,
                    n(entry.votes),
                    n(total),
                    fraction_string(&entry.quotient),
                    decimal(&entry.quotient, lang),
                    entry.whole,
                    remainder_note,
                    entry.seats,
                    cap_note
                )
            });
        }
        let whole: u64 = round.entries.iter().map(|e| u64::from(e.whole)).sum();
        let left = u64::from(round.seats).saturating_sub(whole);
        if left > 0 {
            let mut by_remainder: Vec<&sandoq_apportion::largest_remainder::RoundEntry> =
                round.entries.iter().collect();
            by_remainder.sort_by(|a, b| b.remainder.cmp(&a.remainder));
            let ranked: Vec<String> = by_remainder
                .iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        group_name(contest, e.party as u32, lang),
                        decimal(&e.remainder, lang)
                    )
                })
                .collect();
            lines.push(if fa {
                format!(
                    "   کرسی‌های کامل {} است؛ {} کرسی باقی‌مانده یکی‌یکی به بزرگ‌ترین باقی‌مانده‌ها می‌رسد: {}.",
                    n(whole),
                    n(left),
                    ranked.join(" > ")
                )
            } else {
                format!("   Whole seats: {}; the {} seats left go one each to the largest remainders: {}.", whole, left, ranked.join(" > "))
            });
        }
        out.push(lines.join("\n"));
    }
    if result.allocation.vacant > 0 {
        out.push(if fa {
            format!(
                "{} کرسی خالی می‌ماند: هیچ گروهی نامزد یا رأی کافی برای آن ندارد.",
                n(u64::from(result.allocation.vacant))
            )
        } else {
            format!(
                "{} seats stay vacant: no group has the candidates or the votes to take them.",
                result.allocation.vacant
            )
        });
    }
    let mut elected_lines = vec![if fa {
        "۴. منتخبان: در هر گروه نامزدهای دارای بیشترین رأی انتخاب می‌شوند و ترتیب چاپ فهرست اثری ندارد.".to_string()
    } else {
        "4. Elected: inside each group the candidates with the most votes are elected; the order in which a list printed its members does not matter.".to_string()
    }];
    for (g, members) in result.members.iter().enumerate() {
        if members.elected == 0 && members.alternates == 0 {
            continue;
        }
        let show = |list: &[u32]| -> String {
            list.iter()
                .map(|&c| {
                    format!(
                        "{} ({})",
                        code(&contest.candidates[c as usize].code, lang),
                        n(result.candidate_votes[c as usize])
                    )
                })
                .collect::<Vec<_>>()
                .join(if fa { "، " } else { ", " })
        };
        let none = if fa {
            "ندارد".to_string()
        } else {
            "none".to_string()
        };
        let alternates = if members.alternates == 0 {
            none
        } else {
            show(members.alternates())
        };
        elected_lines.push(if fa {
            format!(
                "   • {}: {} کرسی — {}. علی‌البدل‌ها (۵۲٪ منتخبان، گرد به بالا از نیم): {}.",
                group_name(contest, g as u32, lang),
                n(members.elected as u64),
                show(members.elected()),
                alternates
            )
        } else {
            format!(
                "   • {}: {} seats — {}. Alternates (52% of the elected, rounded half up): {}.",
                group_name(contest, g as u32, lang),
                members.elected,
                show(members.elected()),
                alternates
            )
        });
    }
    for members in &result.members {
        for tie in &members.ties_among_elected {
            let codes: Vec<String> = tie
                .iter()
                .map(|&c| code(&contest.candidates[c as usize].code, lang))
                .collect();
            let votes = n(result.candidate_votes[tie[0] as usize]);
            elected_lines.push(if fa {
                format!(
                    "   {} رأی برابر دارند ({}) و همه انتخاب می‌شوند؛ پس قرعه لازم نیست.",
                    codes.join(" و "),
                    votes
                )
            } else {
                format!(
                    "   {} have equal votes ({}) and are all elected, so no lot is needed.",
                    codes.join(" and "),
                    votes
                )
            });
        }
    }
    out.push(elected_lines.join("\n"));
    if !result.lots.is_empty() {
        let mut lines = vec![if fa {
            "۵. قرعه‌ها: هر تساوی که چیزی را تعیین می‌کرد با قرعهٔ قابل‌بازبینی حل شد؛ ترتیب بر اساس SHA-256 از «بذر:کد»، صعودی؛ اولی برنده است.".to_string()
        } else {
            "5. Lots: every tie that decided something was resolved by a verifiable lot: entries ordered by the SHA-256 of \"seed:code\", ascending; the first wins.".to_string()
        }];
        for lot in &result.lots {
            let hashes: Vec<String> = lot
                .hashes
                .iter()
                .map(|(c, h)| format!("{} {}", code(c, lang), h))
                .collect();
            lines.push(if fa {
                format!(
                    "   • {} ({}): بذر «{}»؛ {} → برنده: {}.",
                    stage_name(&lot.stage, lang),
                    lot.tied
                        .iter()
                        .map(|c| code(c, lang))
                        .collect::<Vec<_>>()
                        .join("، "),
                    lot.seed,
                    hashes.join("؛ "),
                    lot.winners
                        .iter()
                        .map(|c| code(c, lang))
                        .collect::<Vec<_>>()
                        .join("، ")
                )
            } else {
                format!(
                    "   • {} ({}): seed \"{}\"; {} → won: {}.",
                    stage_name(&lot.stage, lang),
                    lot.tied.join(", "),
                    lot.seed,
                    hashes.join("; "),
                    lot.winners.join(", ")
                )
            });
        }
        out.push(lines.join("\n"));
    }
    for tie in &result.allocation.immaterial_ties {
        out.push(if fa {
            format!(
                "تساوی بی‌اثر میان {}: هر طور حل می‌شد نتیجه همین بود، پس قرعه لازم نشد.",
                tie.tied.iter().map(|c| code(c, lang)).collect::<Vec<_>>().join("، ")
            )
        } else {
            format!("A tie between {} decided nothing (every way it could go gives this same result), so no lot was drawn.", tie.tied.join(", "))
        });
    }
    // Keep the number of seats checkable at a glance.
    let filled: u64 = result.group_seats().iter().map(|&s| u64::from(s)).sum();
    out.push(if fa {
        format!(
            "جمع: {} کرسی از {} کرسی پر شد.",
            n(filled),
            n(u64::from(result.seats))
        )
    } else {
        format!("Total: {} of {} seats filled.", filled, result.seats)
    });
    out.join("\n")
}

fn stage_name(stage: &str, lang: Lang) -> &'static str {
    match (stage, lang) {
        ("remainder_seats", Lang::Fa) => "کرسی باقی‌مانده",
        ("remainder_seats", Lang::En) => "remainder seat",
        ("take_back", Lang::Fa) => "بازپس‌گیری کرسی",
        ("take_back", Lang::En) => "seat taken back",
        ("elected", Lang::Fa) => "انتخاب درون گروه",
        ("elected", Lang::En) => "elected inside a group",
        ("alternates", Lang::Fa) => "ترتیب علی‌البدل‌ها",
        ("alternates", Lang::En) => "order of alternates",
        ("succession", Lang::Fa) => "جانشینی",
        ("succession", Lang::En) => "succession",
        (_, Lang::Fa) => "قرعه",
        (_, Lang::En) => "lot",
    }
}
