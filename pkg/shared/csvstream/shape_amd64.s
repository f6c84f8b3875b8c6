#include "textflag.h"

// BLOCK checks the bytes at SI+1 to SI+16, ORs the bad ones into X9 and
// leaves the commas' mask in AX.
#define BLOCK \
	MOVOU 0(SI), X1 \
	MOVOU 1(SI), X0 \
	MOVOU 2(SI), X2 \
	MOVOU 3(SI), X3 \
	PCMPEQB X10, X0 /* commas at i */ \
	PCMPEQB X11, X1 /* a quote before */ \
	PCMPEQB X11, X2 /* a quote after */ \
	PCMPEQB X10, X3 /* a comma two on */ \
	PAND X2, X1     /* quotes on both sides */ \
	PANDN X0, X1    /* commas without them */ \
	PAND X0, X3     /* commas with a comma two on */ \
	POR X1, X9 \
	POR X3, X9 \
	PMOVMSKB X0, AX

// func quotedShapeSSE2(line []byte) (commas int, bad bool)
//
// quotedShape's check of the bytes at 1 to len-3, sixteen at a time; len
// is at least 19. A block of the bytes at i takes four loads of 16 bytes:
// at i-1 (left neighbours), i, i+1 (right neighbours) and i+2. A byte at i
// that is a comma is bad unless both neighbours are quotes, and when the
// byte two on is a comma too; the bad bytes are ORed into X9, the commas
// counted. The last block ends at len-3 and overlaps the one before: its
// commas already counted are shifted out of its mask.
//
// SSE2 rather than 32 bytes at a time with AVX2: a line is a few blocks,
// called once a line, and an AVX2 version must end in VZEROUPPER for the
// Go code after it. On an Intel Xeon (family 6, model 207, under a
// hypervisor) the first 256-bit instruction after that cost more than the
// line's whole check: 158 ns a ctxrows line with AVX2, 16 with SSE2 (27
// with AVX2 on an AMD EPYC; BENCHMARKS.md, "What each optimisation bought").
TEXT ·quotedShapeSSE2(SB), NOSPLIT, $0-33
	MOVQ line_base+0(FP), SI
	MOVQ line_len+8(FP), BX
	LEAQ -19(SI)(BX*1), R8 // the last block's base: its bytes at 1 are at len-18
	MOVQ $0x2c2c2c2c, AX
	MOVQ AX, X10
	PSHUFD $0, X10, X10    // commas
	MOVQ $0x22222222, AX
	MOVQ AX, X11
	PSHUFD $0, X11, X11    // quotes
	PXOR X9, X9
	XORQ DX, DX

blocks:
	CMPQ SI, R8
	JAE  last
	BLOCK
	POPCNTL AX, AX
	ADDQ AX, DX
	ADDQ $16, SI
	JMP  blocks

last:
	MOVQ SI, CX
	SUBQ R8, CX            // bytes of the last block already seen, 0 to 15
	MOVQ R8, SI
	BLOCK
	SHRL CX, AX
	POPCNTL AX, AX
	ADDQ AX, DX

	PMOVMSKB X9, AX
	TESTL AX, AX
	SETNE bad+32(FP)
	MOVQ  DX, commas+24(FP)
	RET
