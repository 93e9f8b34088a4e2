"""Indonesia's 38 provinces with population weights and real city names,
for the synthetic marketplace.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Province:
    """One province: name, approximate population and a few cities (capital first)."""

    name: str
    population_millions: float
    island_group: str
    cities: tuple[str, ...]


PROVINCES: tuple[Province, ...] = (
    # Sumatra
    Province("Aceh", 5.5, "sumatra", ("Banda Aceh", "Lhokseumawe", "Langsa", "Sabang", "Meulaboh")),
    Province(
        "Sumatera Utara",
        15.4,
        "sumatra",
        ("Medan", "Binjai", "Pematangsiantar", "Tebing Tinggi", "Sibolga", "Padangsidimpuan"),
    ),
    Province(
        "Sumatera Barat",
        5.8,
        "sumatra",
        ("Padang", "Bukittinggi", "Payakumbuh", "Pariaman", "Solok"),
    ),
    Province("Riau", 6.7, "sumatra", ("Pekanbaru", "Dumai", "Bengkalis", "Siak", "Bangkinang")),
    Province("Kepulauan Riau", 2.2, "sumatra", ("Tanjung Pinang", "Batam", "Karimun", "Bintan")),
    Province("Jambi", 3.7, "sumatra", ("Jambi", "Sungai Penuh", "Muara Bungo", "Kuala Tungkal")),
    Province(
        "Sumatera Selatan",
        8.8,
        "sumatra",
        ("Palembang", "Lubuklinggau", "Prabumulih", "Pagar Alam", "Lahat"),
    ),
    Province(
        "Kepulauan Bangka Belitung",
        1.5,
        "sumatra",
        ("Pangkalpinang", "Sungailiat", "Tanjung Pandan", "Muntok"),
    ),
    Province("Bengkulu", 2.1, "sumatra", ("Bengkulu", "Curup", "Manna", "Mukomuko")),
    Province(
        "Lampung",
        9.4,
        "sumatra",
        ("Bandar Lampung", "Metro", "Kalianda", "Pringsewu", "Kotabumi"),
    ),
    # Java
    Province(
        "DKI Jakarta",
        10.7,
        "java",
        ("Jakarta Selatan", "Jakarta Barat", "Jakarta Timur", "Jakarta Utara", "Jakarta Pusat"),
    ),
    Province(
        "Jawa Barat",
        50.3,
        "java",
        ("Bandung", "Bekasi", "Depok", "Bogor", "Cimahi", "Tasikmalaya"),
    ),
    Province("Banten", 12.4, "java", ("Serang", "Tangerang", "Tangerang Selatan", "Cilegon")),
    Province(
        "Jawa Tengah",
        37.9,
        "java",
        ("Semarang", "Surakarta", "Magelang", "Pekalongan", "Tegal", "Salatiga"),
    ),
    Province(
        "DI Yogyakarta",
        3.7,
        "java",
        ("Yogyakarta", "Sleman", "Bantul", "Gunungkidul", "Kulon Progo"),
    ),
    Province(
        "Jawa Timur",
        41.6,
        "java",
        ("Surabaya", "Malang", "Sidoarjo", "Kediri", "Jember", "Madiun"),
    ),
    # Bali and Nusa Tenggara
    Province("Bali", 4.4, "bali_nusa", ("Denpasar", "Badung", "Gianyar", "Tabanan", "Singaraja")),
    Province(
        "Nusa Tenggara Barat",
        5.6,
        "bali_nusa",
        ("Mataram", "Bima", "Sumbawa Besar", "Praya", "Selong"),
    ),
    Province(
        "Nusa Tenggara Timur",
        5.6,
        "bali_nusa",
        ("Kupang", "Maumere", "Ende", "Labuan Bajo", "Atambua"),
    ),
    # Kalimantan
    Province(
        "Kalimantan Barat",
        5.6,
        "kalimantan",
        ("Pontianak", "Singkawang", "Ketapang", "Sintang"),
    ),
    Province(
        "Kalimantan Tengah",
        2.8,
        "kalimantan",
        ("Palangka Raya", "Sampit", "Pangkalan Bun", "Kuala Kapuas"),
    ),
    Province(
        "Kalimantan Selatan",
        4.2,
        "kalimantan",
        ("Banjarbaru", "Banjarmasin", "Martapura", "Kotabaru"),
    ),
    Province(
        "Kalimantan Timur",
        4.0,
        "kalimantan",
        ("Samarinda", "Balikpapan", "Bontang", "Tenggarong"),
    ),
    Province(
        "Kalimantan Utara",
        0.73,
        "kalimantan",
        ("Tanjung Selor", "Tarakan", "Nunukan", "Malinau"),
    ),
    # Sulawesi
    Province("Sulawesi Utara", 2.7, "sulawesi", ("Manado", "Bitung", "Tomohon", "Kotamobagu")),
    Province("Gorontalo", 1.2, "sulawesi", ("Gorontalo", "Limboto", "Marisa", "Kwandang")),
    Province("Sulawesi Tengah", 3.1, "sulawesi", ("Palu", "Luwuk", "Poso", "Tolitoli")),
    Province("Sulawesi Barat", 1.5, "sulawesi", ("Mamuju", "Majene", "Polewali", "Pasangkayu")),
    Province(
        "Sulawesi Selatan",
        9.4,
        "sulawesi",
        ("Makassar", "Parepare", "Palopo", "Gowa", "Watampone", "Maros"),
    ),
    Province("Sulawesi Tenggara", 2.8, "sulawesi", ("Kendari", "Baubau", "Kolaka", "Raha")),
    # Maluku and Papua
    Province("Maluku", 1.9, "maluku_papua", ("Ambon", "Tual", "Masohi", "Saumlaki")),
    Province("Maluku Utara", 1.35, "maluku_papua", ("Sofifi", "Ternate", "Tidore", "Tobelo")),
    Province("Papua", 1.06, "maluku_papua", ("Jayapura", "Sentani", "Biak", "Serui")),
    Province("Papua Barat", 0.57, "maluku_papua", ("Manokwari", "Fakfak", "Kaimana", "Bintuni")),
    Province(
        "Papua Barat Daya",
        0.62,
        "maluku_papua",
        ("Sorong", "Waisai", "Teminabuan", "Aimas"),
    ),
    Province("Papua Selatan", 0.53, "maluku_papua", ("Merauke", "Tanah Merah", "Kepi", "Agats")),
    Province("Papua Tengah", 1.45, "maluku_papua", ("Nabire", "Timika", "Enarotali", "Mulia")),
    Province(
        "Papua Pegunungan",
        1.45,
        "maluku_papua",
        ("Wamena", "Oksibil", "Karubaga", "Kenyam"),
    ),
)
