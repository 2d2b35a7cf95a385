//! Synthetic Persian names for training elections: lists (parties and coalitions) and people,
//! each with an English transliteration. Combinations are drawn from a seed; no real person's
//! name is meant.

/// Lists: a Persian name and its English one.
pub const LISTS: [(&str, &str); 12] = [
    ("ائتلاف شهر آینده", "Future City Coalition"),
    ("تهران سبز", "Green Tehran"),
    ("شورای مردم", "People's Council"),
    ("جبههٔ خدمت", "Service Front"),
    ("صدای محله", "Voice of the Neighbourhood"),
    ("فهرست جوانان", "Youth List"),
    ("تهران پاک", "Clean Tehran"),
    ("همبستگی شهری", "Urban Solidarity"),
    ("حمل‌ونقل همگانی", "Public Transport"),
    ("میراث و فرهنگ", "Heritage and Culture"),
    ("شهر دانش", "City of Knowledge"),
    ("آب و هوای پاک", "Clean Water and Air"),
];

pub const GIVEN: [(&str, &str); 40] = [
    ("مریم", "Maryam"),
    ("علی", "Ali"),
    ("زهرا", "Zahra"),
    ("محمد", "Mohammad"),
    ("فاطمه", "Fatemeh"),
    ("حسین", "Hossein"),
    ("سارا", "Sara"),
    ("رضا", "Reza"),
    ("نرگس", "Narges"),
    ("مهدی", "Mahdi"),
    ("لیلا", "Leila"),
    ("امیر", "Amir"),
    ("شیرین", "Shirin"),
    ("حسن", "Hassan"),
    ("پروین", "Parvin"),
    ("کاوه", "Kaveh"),
    ("نسرین", "Nasrin"),
    ("بهرام", "Bahram"),
    ("آزاده", "Azadeh"),
    ("سعید", "Saeed"),
    ("مینا", "Mina"),
    ("مجید", "Majid"),
    ("الهام", "Elham"),
    ("جواد", "Javad"),
    ("ژیلا", "Zhila"),
    ("فرهاد", "Farhad"),
    ("سیمین", "Simin"),
    ("کامران", "Kamran"),
    ("طاهره", "Tahereh"),
    ("بابک", "Babak"),
    ("رعنا", "Rana"),
    ("پیمان", "Peyman"),
    ("هانیه", "Hanieh"),
    ("داوود", "Davoud"),
    ("معصومه", "Masoumeh"),
    ("کیوان", "Keyvan"),
    ("گلاره", "Gelareh"),
    ("ناصر", "Naser"),
    ("یاسمن", "Yasaman"),
    ("فرشید", "Farshid"),
];

pub const FAMILY: [(&str, &str); 40] = [
    ("احمدی", "Ahmadi"),
    ("رضایی", "Rezaei"),
    ("کریمی", "Karimi"),
    ("موسوی", "Mousavi"),
    ("حسینی", "Hosseini"),
    ("محمدی", "Mohammadi"),
    ("جعفری", "Jafari"),
    ("صادقی", "Sadeghi"),
    ("رحیمی", "Rahimi"),
    ("اکبری", "Akbari"),
    ("قاسمی", "Ghasemi"),
    ("نوری", "Nouri"),
    ("طاهری", "Taheri"),
    ("فراهانی", "Farahani"),
    ("تهرانی", "Tehrani"),
    ("شریفی", "Sharifi"),
    ("کاظمی", "Kazemi"),
    ("بهرامی", "Bahrami"),
    ("یزدانی", "Yazdani"),
    ("سلیمانی", "Soleimani"),
    ("عباسی", "Abbasi"),
    ("نجفی", "Najafi"),
    ("زمانی", "Zamani"),
    ("خسروی", "Khosravi"),
    ("امینی", "Amini"),
    ("شیرازی", "Shirazi"),
    ("اصفهانی", "Esfahani"),
    ("مرادی", "Moradi"),
    ("حیدری", "Heydari"),
    ("سبحانی", "Sobhani"),
    ("فتحی", "Fathi"),
    ("منصوری", "Mansouri"),
    ("قربانی", "Ghorbani"),
    ("ملکی", "Maleki"),
    ("پاکزاد", "Pakzad"),
    ("دهقان", "Dehghan"),
    ("سالاری", "Salari"),
    ("توکلی", "Tavakoli"),
    ("کشاورز", "Keshavarz"),
    ("میرزایی", "Mirzaei"),
];

/// Polling stations' buildings (schools and mosques are the usual places).
pub const PLACES: [(&str, &str); 12] = [
    ("دبستان فردوسی", "Ferdowsi primary school"),
    ("دبیرستان سعدی", "Saadi high school"),
    ("مدرسهٔ حافظ", "Hafez school"),
    ("مسجد جامع", "Central mosque"),
    ("دبستان پروین اعتصامی", "Parvin Etesami primary school"),
    ("فرهنگسرای بهمن", "Bahman cultural centre"),
    ("دبیرستان خوارزمی", "Kharazmi high school"),
    ("مدرسهٔ مولوی", "Molavi school"),
    ("سرای محلهٔ یوسف‌آباد", "Yousefabad neighbourhood hall"),
    ("دبستان نیما", "Nima primary school"),
    ("کتابخانهٔ ملی", "National library hall"),
    ("دبیرستان البرز", "Alborz high school"),
];

/// The `n`-th person of a seeded sequence: (Persian, English). Distinct for the first 1,600.
pub fn person(seed: u64, n: u64) -> (String, String) {
    let g = GIVEN.len() as u64;
    let f = FAMILY.len() as u64;
    // A permutation of 0..g·f that depends on the seed: an affine map with a multiplier prime to
    // g·f (1,600 = 2^6·5^2; 7 and 3 are prime to it).
    let k = g * f;
    let a = [7u64, 3, 11, 13, 17][(seed % 5) as usize];
    let index = (a * n + seed) % k;
    let (given, family) = (GIVEN[(index % g) as usize], FAMILY[(index / g) as usize]);
    (
        format!("{} {}", given.0, family.0),
        format!("{} {}", given.1, family.1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn people_are_distinct_for_the_first_1600() {
        for seed in 0..5 {
            let names: HashSet<String> = (0..1600).map(|n| person(seed, n).1).collect();
            assert_eq!(names.len(), 1600);
        }
    }
}
