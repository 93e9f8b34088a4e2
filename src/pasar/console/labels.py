"""The console's words in Indonesian. Pages write English; :func:`translate` gives the
Indonesian text for users whose language is ``id`` (unknown text stays English).

Example:
    >>> translate("Appeals", "id"), translate("Appeals", "en")
    ('Banding', 'Appeals')
"""

from __future__ import annotations

INDONESIAN = {
    # shell and sign-in
    "Overview": "Ringkasan", "Sellers": "Penjual", "Review queue": "Antrean tinjauan",
    "Appeals": "Banding", "Plans of action": "Rencana perbaikan", "Policies": "Kebijakan",
    "Metrics": "Metrik", "Audit log": "Log audit", "My shop": "Toko saya", "Sign out": "Keluar",
    "Sign in": "Masuk", "Username": "Nama pengguna", "Password": "Kata sandi",
    "Bahasa Indonesia": "Bahasa Indonesia", "English": "English", "Download": "Unduh",
    "Not found": "Tidak ditemukan", "Not allowed": "Tidak diizinkan", "Search": "Cari",
    "Filter": "Saring", "Show": "Tampilkan", "Previous": "Sebelumnya", "Next": "Berikutnya",
    "Nothing to show.": "Tidak ada data.", "of": "dari",
    # governance
    "Seller governance": "Tata kelola penjual", "Sellers with points": "Penjual dengan poin",
    "Violations, last 7 days": "Pelanggaran, 7 hari", "Actions in force": "Tindakan berlaku",
    "Waiting for a person": "Menunggu peninjau", "Appeals open": "Banding terbuka",
    "Sellers with the most points": "Penjual dengan poin terbanyak", "Seller": "Penjual",
    "Points": "Poin", "Standing": "Posisi", "Next step": "Tahap berikut",
    "At the last step": "Di tahap terakhir", "Violations": "Pelanggaran", "Day": "Hari",
    "Policy": "Kebijakan", "Expires": "Kedaluwarsa", "Why": "Alasan",
    "Actions and warnings": "Tindakan dan peringatan", "From": "Dari", "To": "Sampai",
    "Action": "Tindakan", "Status": "Status", "No violations.": "Tidak ada pelanggaran.",
    "No actions.": "Tidak ada tindakan.", "No appeals.": "Tidak ada banding.",
    "Submitted": "Diajukan", "Violation": "Pelanggaran", "Reason": "Alasan",
    "Decision": "Keputusan", "Decide": "Putuskan", "accept": "terima", "reject": "tolak",
    "approve": "setujui", "reason": "alasan", "Since": "Sejak",
    "Why a person decides": "Mengapa perlu peninjau",
    "Nothing is waiting for a person.": "Tidak ada yang menunggu peninjau.",
    "Violations per day": "Pelanggaran per hari", "Points in force": "Poin berlaku",
    "Actions by type": "Tindakan per jenis", "vs previous 7 days": "vs 7 hari sebelumnya",
    "Category": "Kategori", "Minimum points": "Poin minimum", "Seller id": "ID penjual",
    "Only with an action in force": "Hanya dengan tindakan berlaku",
    "Last violation": "Pelanggaran terakhir", "Metrics as of": "Metrik per",
    "Metric": "Metrik", "Value": "Nilai", "Points over time": "Poin dari waktu ke waktu",
    "Appeal": "Ajukan banding", "Submit a plan of action": "Ajukan rencana perbaikan",
    "Evidence": "Bukti", "Statement": "Pernyataan", "Files": "Berkas",
    "Submit the appeal": "Kirim banding", "Root causes": "Akar masalah",
    "Corrective actions taken": "Tindakan korektif", "Preventive measures": "Langkah pencegahan",
    "Submit the plan": "Kirim rencana", "Revision": "Revisi", "Comment": "Komentar",
    "request changes": "minta perubahan", "No plans of action.": "Tidak ada rencana perbaikan.",
    "Appeals of this shop": "Banding toko ini", "Plans of action of this shop":
    "Rencana perbaikan toko ini", "No sellers match.": "Tidak ada penjual yang cocok.",
    "Decided": "Diputuskan", "Seller metrics": "Metrik penjual",
    "No metric snapshot yet.": "Belum ada snapshot metrik.",
    # policies, metrics, audit
    "Pack": "Paket", "Version": "Versi", "Effective from": "Berlaku dari",
    "Effective to": "Berlaku sampai", "Region": "Wilayah", "Entity": "Entitas",
    "Backtest a draft": "Uji mundur draf", "Run the backtest": "Jalankan uji mundur",
    "Against": "Dibandingkan dengan", "Time": "Waktu", "Actor": "Pelaku",
    "Grain": "Rentang", "Group by": "Kelompokkan menurut",
    # creators
    "as of": "per", "until": "sampai", "Appeals closed on": "Banding ditutup pada",
    "Decided because": "Alasan keputusan",
    "Creators": "Kreator", "Creator": "Kreator", "Handle": "Akun", "Followers": "Pengikut",
    "Province": "Provinsi", "Creator or handle": "Kreator atau akun",
    "Creator metrics": "Metrik kreator", "No creators match.": "Tidak ada kreator yang cocok.",
    "No creator is assigned to you yet.": "Belum ada kreator yang ditugaskan kepada Anda.",
    # seller portal
    "Show the evidence it needs": "Tampilkan bukti yang diperlukan",
    "Give each piece of evidence as text (order ids, tracking numbers) or as a file":
    "Berikan setiap bukti sebagai teks (ID pesanan, nomor resi) atau sebagai berkas",
    "at most": "paling banyak", "files of": "berkas, masing-masing", "One item per line.":
    "Satu butir per baris.", "why the violation should be lifted":
    "mengapa pelanggaran ini perlu dicabut", "Plan of action": "Rencana perbaikan",
    "Too large": "Terlalu besar", "Welcome": "Selamat datang",
    "Back to the overview": "Kembali ke ringkasan", "Definition": "Definisi",
    "Violations, last 90 days": "Pelanggaran, 90 hari", "submitted": "diajukan",
    "accepted": "diterima", "rejected": "ditolak", "active": "aktif",
    "pending_review": "menunggu tinjauan", "Show all": "Tampilkan semua",
}  # fmt: skip


def translate(text: str, lang: str) -> str:
    """``text`` in ``lang`` (``en`` or ``id``)."""
    return INDONESIAN.get(text, text) if lang == "id" else text
