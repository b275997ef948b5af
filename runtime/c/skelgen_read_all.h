/* Reading a whole file, for the .kconfig and struct_ops parts of the runtime. */
#ifndef SKELGEN_C_READ_ALL_ABI2
#define SKELGEN_C_READ_ALL_ABI2

/* The whole file at `path` (malloc'ed, NUL-terminated), its length in *len; or NULL with errno
 * set. */
static inline unsigned char *skelgen_read_all(const char *path, size_t *len)
{
	size_t cap = 1 << 16;
	unsigned char *buf, *bigger;
	ssize_t n;
	int fd = open(path, O_RDONLY | SKELGEN_O_CLOEXEC);

	if (fd < 0)
		return NULL;
	buf = (unsigned char *)malloc(cap);
	*len = 0;
	while (buf) {
		if (*len + 1 >= cap) {
			bigger = (unsigned char *)realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + *len, cap - *len - 1);
		if (n < 0) {
			free(buf);
			buf = NULL;
		} else if (n == 0) {
			buf[*len] = '\0';
			break;
		} else {
			*len += (size_t)n;
		}
	}
	close(fd);
	return buf;
}

#endif /* SKELGEN_C_READ_ALL_ABI2 */
