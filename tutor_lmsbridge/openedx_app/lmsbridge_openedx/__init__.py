"""tutor-contrib-lmsbridge's Open edX app (runs inside the LMS and Studio)."""
